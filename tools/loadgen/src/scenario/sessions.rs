//! `--sessions` sessions open at once, each hellos and does `--gets` gets.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tokio::task::JoinSet;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::report::Row;

/// Opens `n` greeted sessions concurrently; the failures are returned as messages.
pub async fn open_many(args: &Arc<Args>, n: usize) -> (Vec<Conn>, Vec<String>) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let args = args.clone();
        set.spawn(async move { Conn::open(&args).await });
    }
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    while let Some(r) = set.join_next().await {
        match r.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(c) => ok.push(c),
            Err(e) => failed.push(e),
        }
    }
    (ok, failed)
}

pub async fn run(args: &Arc<Args>) -> Res<Row> {
    let start = Instant::now();
    let (conns, mut failed) = open_many(args, args.sessions).await;
    let opened = start.elapsed().as_secs_f64();
    // Every session is open now; each does its gets, all at once.
    let mut set = JoinSet::new();
    for mut c in conns {
        let args = args.clone();
        set.spawn(async move {
            for _ in 0..args.gets {
                c.call("record.get", args.get_params()).await?;
            }
            Ok::<_, String>(c)
        });
    }
    let mut done = Vec::new();
    while let Some(r) = set.join_next().await {
        match r.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(c) => done.push(c),
            Err(e) => failed.push(e),
        }
    }
    let wall = start.elapsed().as_secs_f64();
    drop(done);
    let requests = (args.sessions * args.gets) as f64;
    let mut row = Row::new(format!("{} sessions × {} gets", args.sessions, args.gets));
    row.throughput = format!("{:.0} req/s", requests / wall);
    row.latency = format!("{:.2} s total ({:.2} s to open all)", wall, opened);
    row.failures = failed.len() as u64;
    row.key = Some(("seconds for all sessions", wall));
    if let Some(first) = failed.first() {
        row.note = format!("first failure: {first}");
    }
    row.json = json!({
        "sessions": args.sessions, "gets_per_session": args.gets, "seconds": wall,
        "seconds_to_open": opened, "failed_sessions": failed.len(), "first_failure": failed.first(),
    });
    Ok(row)
}
