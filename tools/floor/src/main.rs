//! `aimx-floor`: a line server that does nothing but I/O, the reference the
//! load generator measures the real server against in the same run.
//!
//! ```text
//! aimx-floor (--unix PATH | --tcp ADDR) [--line-buf 1024] [--out-buf 1024]
//!     [--rate-hz N] [--backlog 16]
//! ```
//!
//! Same runtime and accept loop as the demo (tokio multi-thread, one task per
//! connection). Every line gets a fixed answer the length of the demo's
//! answer to it; no JSON is parsed or built. A `record.set` line advances
//! the value count, and with `--rate-hz` a producer does so at that rate;
//! every session whose last request was a `record.subscribe` is then sent
//! one event line per new value (as the demo's 16-value ring would), so
//! fan-out writes the same bytes as the demo's.

mod canned;
mod produce;
mod session;

use std::future::Future;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;

use session::Limits;

const USAGE: &str =
    "usage: aimx-floor (--unix PATH | --tcp ADDR) [--line-buf N] [--out-buf N] [--rate-hz N] [--backlog N]
  --line-buf N  bytes of the per-session line buffer (default 1024, the demo's)
  --out-buf N   bytes of the per-session reply buffer (default 1024, the demo's)
  --rate-hz N   new values per second from a producer (default: none)
  --backlog N   events kept for a slow subscriber (default 16)";

struct Args {
    unix: Option<String>,
    tcp: Option<String>,
    limits: Limits,
    rate_hz: Option<f64>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a =
        Args { unix: None, tcp: None, limits: Limits { line_buf: 1024, out_buf: 1024, backlog: 16 }, rate_hz: None };
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--unix" => a.unix = Some(val()?),
            "--tcp" => a.tcp = Some(val()?),
            "--line-buf" => a.limits.line_buf = num(&val()?)?,
            "--out-buf" => a.limits.out_buf = num(&val()?)?,
            "--backlog" => a.limits.backlog = num(&val()?)?,
            "--rate-hz" => a.rate_hz = Some(num(&val()?)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    // The welcome and the event lines must fit; the backlog must be at least one event.
    if a.limits.line_buf < 256 || a.limits.out_buf < 256 || a.limits.backlog == 0 {
        return Err("buffers are at least 256 bytes and the backlog at least 1".into());
    }
    if a.unix.is_none() && a.tcp.is_none() {
        return Err("give --unix PATH and/or --tcp ADDR".into());
    }
    Ok(a)
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

/// Accepts until `stop`, one task per connection.
async fn accept_loop<S, A>(mut accept: impl FnMut() -> A, limits: Limits, values: &'static watch::Sender<u64>)
where
    S: session::Sock,
    A: Future<Output = std::io::Result<S>>,
{
    loop {
        match accept().await {
            Ok(sock) => {
                tokio::spawn(session::serve(sock, limits, values));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

#[tokio::main]
async fn main() {
    let args = parse(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("error: {e}\n\n{USAGE}");
        std::process::exit(2);
    });
    let values: &'static watch::Sender<u64> = Box::leak(Box::new(watch::Sender::new(0)));
    let mut loops = tokio::task::JoinSet::new();
    if let Some(path) = args.unix.clone() {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap_or_else(|e| fail(&format!("bind {path}: {e}")));
        println!("floor listening on unix {path}");
        let listener: &'static UnixListener = Box::leak(Box::new(listener));
        loops.spawn(accept_loop(move || async { Ok(listener.accept().await?.0) }, args.limits, values));
    }
    if let Some(addr) = &args.tcp {
        let listener = TcpListener::bind(addr).await.unwrap_or_else(|e| fail(&format!("bind {addr}: {e}")));
        println!("floor listening on tcp {}", listener.local_addr().map_or(addr.clone(), |a| a.to_string()));
        let listener: &'static TcpListener = Box::leak(Box::new(listener));
        let accept = move || async {
            let (sock, _) = listener.accept().await?;
            sock.set_nodelay(true)?;
            Ok(sock)
        };
        loops.spawn(accept_loop(accept, args.limits, values));
    }
    if let Some(rate) = args.rate_hz {
        tokio::spawn(produce::at_rate(rate, move |n| values.send_modify(|v| *v += n)));
    }
    let _ = tokio::signal::ctrl_c().await;
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
