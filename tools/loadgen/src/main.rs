//! `aimx-loadgen`: measures any AimX v1 server over a Unix socket or TCP.
//! Each scenario prints one markdown table row and appends one JSON line to
//! the results file; the exit status is 1 when any check failed.

mod args;
mod conn;
mod procfs;
mod report;
mod scenario;

use std::sync::Arc;

use args::Args;
use conn::Res;
use report::Row;

#[tokio::main]
async fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("error: {e}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    println!("{}", report::HEADER);
    let mut failures = 0;
    for name in args.scenarios.clone() {
        let rows: Vec<Res<Row>> = match name.as_str() {
            "sequential" => vec![scenario::sequential::run(&args).await],
            "pipelined" => vec![scenario::pipelined::run(&args).await],
            "sessions" => vec![scenario::sessions::run(&args).await],
            "fanout" => {
                let mut rows = Vec::new();
                for &n in &args.subscribers {
                    rows.push(scenario::fanout::run(&args, n).await);
                }
                rows
            }
            "memory" => vec![scenario::memory::run(&args).await],
            "churn" => vec![scenario::churn::run(&args).await],
            "stats" => vec![scenario::stats::run(&args).await],
            other => vec![Err(format!("unknown scenario {other}"))],
        };
        for row in rows {
            failures += match row {
                Ok(row) => row.emit(&args),
                Err(e) => {
                    let mut row = Row::new(name.clone());
                    row.failures = 1;
                    row.note = e;
                    row.emit(&args)
                }
            };
        }
    }
    std::process::exit(i32::from(failures > 0));
}
