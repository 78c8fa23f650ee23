//! `aimx-tls-cost`: what TLS costs a demo server, next to plain TCP on the
//! same binary in the same run. By hand, not in CI (it takes a minute).
//!
//! ```text
//! cargo build --release -p aimx-demo -p aimx-tls-cost
//! target/release/aimx-tls-cost [--demo target/release/aimx-demo] [--runs 3]
//!     [--connections 200] [--requests 5000] [--replies 50000] [--window 50]
//! ```
//!
//! Each run starts the demo twice (plain `--tcp`, and `--tcp` with
//! `--tls-cert`/`--tls-key` from a CA made for the run), then measures each
//! in turn, plain first:
//!
//! * connections: `--connections` one after another, each TCP connect (and
//!   TLS handshake), hello, welcome, close; the client's time to the end of
//!   the handshake and to the welcome (medians), and the server's CPU per
//!   connection;
//! * sequential: one session, `--requests` `record.get`s one at a time; the
//!   server's CPU per request and the client's round trip (median);
//! * pipelined: one session, `--replies` `record.get`s sent `--window` at a
//!   time in one write; the server's CPU per reply.
//!
//! Server CPU is the demo process's run time from /proc/PID/task/*/schedstat
//! (nanoseconds). The table gives the median of the runs for each figure and
//! the median of each run's ratio TLS ÷ plain.

mod client;
mod demo;
mod measure;

use std::path::PathBuf;

use measure::Figures;

struct Args {
    demo: PathBuf,
    runs: usize,
    connections: usize,
    requests: usize,
    replies: usize,
    window: usize,
}

const USAGE: &str =
    "usage: aimx-tls-cost [--demo PATH] [--runs N] [--connections N] [--requests N] [--replies N] [--window N]";

fn args() -> Result<Args, String> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut a = Args {
        demo: PathBuf::from(target).join("release/aimx-demo"),
        runs: 3,
        connections: 200,
        requests: 5_000,
        replies: 50_000,
        window: 50,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let mut number = || -> Result<usize, String> {
            let v = value()?;
            v.parse().ok().filter(|n| *n > 0).ok_or(format!("{flag}: not a positive number: {v}"))
        };
        match flag.as_str() {
            "--demo" => a.demo = PathBuf::from(value()?),
            "--runs" => a.runs = number()?,
            "--connections" => a.connections = number()?,
            "--requests" => a.requests = number()?,
            "--replies" => a.replies = number()?,
            "--window" => a.window = number()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn main() {
    let args = args().unwrap_or_else(|e| {
        eprintln!("error: {e}\n{USAGE}");
        std::process::exit(2);
    });
    let mut runs: Vec<(Figures, Figures)> = Vec::new();
    for run in 1..=args.runs {
        eprintln!("tls-cost: run {run} of {}", args.runs);
        match measure::run(&args.demo, args.connections, args.requests, args.replies, args.window) {
            Ok(pair) => runs.push(pair),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
    let name = args.demo.file_name().map_or("the demo".into(), |n| n.to_string_lossy().into_owned());
    print!("{}", measure::table(&name, &args, &runs));
    println!("\n{}", machine());
}

/// The machine the numbers come from (Linux).
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("?", |l| l.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = read("/proc/loadavg");
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("Machine: {cpu}, {cores} cores available; load average at the end {}.", load.join(" "))
}
