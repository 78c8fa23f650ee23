//! One session, `--count` gets in one burst: replies/s, and every reply in order.

use std::time::Instant;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::args::Args;
use crate::conn::{read_line, request_line, Conn, Res};
use crate::procfs::CpuMeter;
use crate::report::Row;

pub async fn run(args: &Args) -> Res<Row> {
    let Conn { mut rx, mut tx, .. } = Conn::open(args).await?;
    let params = json!({"name": args.get_record});
    let count = args.count as u64;
    // The whole burst is built first so the measurement is the server's, not JSON encoding's.
    let burst: String = (1..=count).map(|id| request_line(id, "record.get", &params) + "\n").collect();
    let cpu = CpuMeter::start(args.server_pid);
    let start = Instant::now();
    // Write and read at once: the server stops reading when its replies are not taken.
    let writer = tokio::spawn(async move { tx.write_all(burst.as_bytes()).await.map(|()| tx) });
    let (mut line, mut out_of_order, mut errors) = (String::new(), 0u64, 0u64);
    for want in 1..=count {
        read_line(&mut rx, &mut line).await?;
        let v: Value = serde_json::from_str(&line).map_err(|e| format!("invalid JSON ({e}): {line}"))?;
        out_of_order += u64::from(v["id"] != want);
        errors += u64::from(v.get("error").is_some());
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu.elapsed();
    let _tx = writer.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    let mut row = Row::new(format!("pipelined {count} gets"));
    row.throughput = format!("{:.0} replies/s", count as f64 / wall);
    row.latency = format!("{:.1} ms total", wall * 1e3);
    if let Some(cpu) = cpu {
        row.cpu = format!("{:.2} µs/req", cpu / count as f64 * 1e6);
    }
    row.failures = out_of_order + errors;
    row.note = format!("{out_of_order} out of order, {errors} errors");
    row.json = json!({
        "requests": count, "seconds": wall, "replies_per_s": count as f64 / wall,
        "out_of_order": out_of_order, "errors": errors, "server_cpu_s": cpu,
        "server_cpu_us_per_request": cpu.map(|c| c / count as f64 * 1e6),
    });
    Ok(row)
}
