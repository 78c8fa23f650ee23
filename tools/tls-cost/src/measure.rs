//! One run: the plain demo, then the TLS demo, the same three measurements.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aimx_std_net::rustls::ClientConfig;
use aimx_std_net::test_pki::{client_config, Ca};

use crate::client::Client;
use crate::demo::Demo;
use crate::Args;

/// What one server showed in one run (µs).
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Client: TCP connect (and TLS handshake), median.
    connect_us: f64,
    /// Client: connect to welcome, median.
    welcome_us: f64,
    /// Server CPU per connection (connect, hello, close).
    cpu_per_connection_us: f64,
    /// Client: one request's round trip, median.
    round_trip_us: f64,
    /// Server CPU per sequential request.
    cpu_per_request_us: f64,
    /// Server CPU per pipelined reply.
    cpu_per_reply_us: f64,
}

const GET: &[u8] = b"{\"id\":1,\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\n";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Plain, then TLS, on fresh demo processes.
pub fn run(
    exe: &Path,
    connections: usize,
    requests: usize,
    replies: usize,
    window: usize,
) -> Result<(Figures, Figures), String> {
    let dir = std::env::temp_dir().join(format!("aimx-tls-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        let ca = Ca::new("aimx-tls-cost CA");
        let (cert, key) = ca.sign_pem(&["localhost", "127.0.0.1"]);
        let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
        std::fs::write(&cert_path, cert).map_err(|e| e.to_string())?;
        std::fs::write(&key_path, key).map_err(|e| e.to_string())?;
        let plain = Demo::start(exe, &[])?;
        let tls = Demo::start(exe, &["--tls-cert", path(&cert_path)?, "--tls-key", path(&key_path)?])?;
        let config = client_config(&ca.cert(), None);
        let p = measure(&plain, None, connections, requests, replies, window)?;
        let t = measure(&tls, Some(&config), connections, requests, replies, window)?;
        Ok((p, t))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn path(p: &Path) -> Result<&str, String> {
    p.to_str().ok_or_else(|| format!("not UTF-8: {}", p.display()))
}

fn measure(
    demo: &Demo,
    tls: Option<&Arc<ClientConfig>>,
    connections: usize,
    requests: usize,
    replies: usize,
    window: usize,
) -> Result<Figures, String> {
    // Warm-up: the first connection pays for lazy setup on both sides.
    let mut c = Client::connect(demo.addr, tls)?;
    c.hello()?;
    c.close();

    let (mut connect, mut welcome) = (Vec::new(), Vec::new());
    let cpu = demo.cpu_seconds()?;
    for _ in 0..connections {
        let start = Instant::now();
        let mut c = Client::connect(demo.addr, tls)?;
        connect.push(us(start.elapsed()));
        c.hello()?;
        welcome.push(us(start.elapsed()));
        c.close();
    }
    // Let the server finish closing the last ones before reading its CPU.
    std::thread::sleep(Duration::from_millis(200));
    let cpu_per_connection_us = (demo.cpu_seconds()? - cpu) * 1e6 / connections as f64;

    let mut c = Client::connect(demo.addr, tls)?;
    c.hello()?;
    let mut round_trips = Vec::with_capacity(requests);
    let cpu = demo.cpu_seconds()?;
    for _ in 0..requests {
        let start = Instant::now();
        c.send(GET)?;
        c.results(1)?;
        round_trips.push(us(start.elapsed()));
    }
    let cpu_per_request_us = (demo.cpu_seconds()? - cpu) * 1e6 / requests as f64;

    let batch = GET.repeat(window);
    let rounds = replies.div_ceil(window);
    let cpu = demo.cpu_seconds()?;
    for _ in 0..rounds {
        c.send(&batch)?;
        c.results(window)?;
    }
    let cpu_per_reply_us = (demo.cpu_seconds()? - cpu) * 1e6 / (rounds * window) as f64;
    c.close();

    Ok(Figures {
        connect_us: median(connect),
        welcome_us: median(welcome),
        cpu_per_connection_us,
        round_trip_us: median(round_trips),
        cpu_per_request_us,
        cpu_per_reply_us,
    })
}

/// A row of the table: its name, and the figure it shows.
type Row = (&'static str, fn(&Figures) -> f64);

/// The markdown table: medians over the runs, and the median ratio.
pub fn table(demo: &str, args: &Args, runs: &[(Figures, Figures)]) -> String {
    let rows: [Row; 6] = [
        ("connect: TCP (+ TLS handshake), client, median", |f| f.connect_us),
        ("connect to welcome, client, median", |f| f.welcome_us),
        ("server CPU per connection (connect, hello, close)", |f| f.cpu_per_connection_us),
        ("sequential `record.get` round trip, client, median", |f| f.round_trip_us),
        ("server CPU per sequential request", |f| f.cpu_per_request_us),
        ("server CPU per pipelined reply", |f| f.cpu_per_reply_us),
    ];
    let mut out = format!(
        "{demo}: {} runs; {} connections, {} sequential requests, {} pipelined replies ({} per write)\n\n",
        runs.len(),
        args.connections,
        args.requests,
        args.replies,
        args.window
    );
    out.push_str("| figure | plain TCP | TLS | TLS ÷ plain |\n|---|---|---|---|\n");
    for (name, get) in rows {
        let plain = median(runs.iter().map(|(p, _)| get(p)).collect());
        let tls = median(runs.iter().map(|(_, t)| get(t)).collect());
        let ratio = median(runs.iter().map(|(p, t)| get(t) / get(p)).collect());
        out.push_str(&format!("| {name} | {plain:.1} µs | {tls:.1} µs | {ratio:.2} |\n"));
    }
    out
}
