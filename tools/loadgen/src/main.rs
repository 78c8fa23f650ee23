//! `aimx-loadgen`: measures any AimX server (v1, or 3.0 with --wire v3) over a Unix socket or TCP.
//! Each scenario prints one markdown table row and appends one JSON line to
//! the results file; the exit status is 1 when any check failed.

mod args;
mod conn;
mod frames;
mod procfs;
mod report;
mod scenario;
mod summarize;

use std::sync::Arc;

use args::Args;
use conn::Res;
use report::Row;

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("summarize") {
        match summarize::main(std::env::args().skip(2)) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
        return;
    }
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("error: {e}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    println!("{}", report::HEADER);
    let floor = args.for_floor().map(Arc::new);
    let mut failures = 0;
    for name in args.scenarios.clone() {
        // The floor runs the same scenario, so both see the same machine
        // load: alternating with the server in slices where the figure is
        // CPU per operation (`paired`), otherwise just before it. Its rows
        // are printed too.
        let (floor_rows, rows) = match &floor {
            Some(f) if HAS_FLOOR.contains(&name.as_str()) => match paired(&name, f, &args).await {
                Some(both) => both,
                None => (run(&name, f).await, run(&name, &args).await),
            },
            _ => (Vec::new(), run(&name, &args).await),
        };
        let floor_rows: Vec<Row> = floor_rows.into_iter().map(|r| settle(&name, r)).collect();
        let rows: Vec<Row> = rows.into_iter().map(|r| settle(&name, r)).collect();
        for row in floor_rows.iter() {
            failures += row.emit(floor.as_deref().unwrap_or(&args));
        }
        for (i, mut row) in rows.into_iter().enumerate() {
            if let Some(f) = floor_rows.get(i) {
                row.compare(f);
            }
            failures += row.emit(&args);
        }
    }
    std::process::exit(i32::from(failures > 0));
}

/// The scenarios the floor can run (it has no `server.stats` nor errors for churn).
const HAS_FLOOR: [&str; 5] = ["sequential", "pipelined", "sessions", "fanout", "memory"];

/// Runs one scenario (fan-out once per subscriber count).
async fn run(name: &str, args: &Arc<Args>) -> Vec<Res<Row>> {
    match name {
        "sequential" => vec![scenario::sequential::run(args).await],
        "pipelined" => vec![scenario::pipelined::run(args).await],
        "sessions" => vec![scenario::sessions::run(args).await],
        "fanout" => {
            let mut rows = Vec::new();
            for &n in &args.subscribers {
                rows.push(scenario::fanout::run(args, n).await);
            }
            rows
        }
        "memory" => vec![scenario::memory::run(args).await],
        "churn" => vec![scenario::churn::run(args).await],
        "stats" => vec![scenario::stats::run(args).await],
        other => vec![Err(format!("unknown scenario {other}"))],
    }
}

/// The scenarios that alternate between the floor and the server: the
/// floor's row and the server's, or `None` for the others.
async fn paired(name: &str, floor: &Arc<Args>, args: &Arc<Args>) -> Option<(Vec<Res<Row>>, Vec<Res<Row>>)> {
    let (f, s) = match name {
        "sequential" => scenario::sequential::paired(floor, args).await,
        "pipelined" => scenario::pipelined::paired(floor, args).await,
        "fanout" => {
            let (mut fs, mut ss) = (Vec::new(), Vec::new());
            for &n in &args.subscribers {
                let (f, s) = scenario::fanout::paired(floor, args, n).await;
                fs.push(f);
                ss.push(s);
            }
            return Some((fs, ss));
        }
        _ => return None,
    };
    Some((vec![f], vec![s]))
}

/// A failed scenario becomes a failed row.
fn settle(name: &str, row: Res<Row>) -> Row {
    row.unwrap_or_else(|e| {
        let mut row = Row::new(name.to_owned());
        row.failures = 1;
        row.note = e;
        row
    })
}
