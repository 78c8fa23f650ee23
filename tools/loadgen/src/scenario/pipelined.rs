//! One session, `--bursts` bursts of `--count` gets each: replies/s, server
//! CPU per reply, and every reply in order.

use std::time::Instant;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::procfs::CpuMeter;
use crate::report::Row;

pub async fn run(args: &Args) -> Res<Row> {
    let Conn { mut rx, mut tx, frames, .. } = Conn::open(args).await?;
    let params = args.get_params();
    let count = args.count as u64;
    let bursts = args.bursts.max(1) as u64;
    // Each burst is built first so the measurement is the server's, not JSON encoding's.
    let burst: Vec<u8> = (1..=count).flat_map(|id| frames.frame(&frames.request(id, "record.get", &params))).collect();
    let request_bytes = burst.len() as u64;
    let (mut frame, mut out_of_order, mut errors, mut reply_bytes) = (Vec::new(), 0u64, 0u64, 0u64);
    let cpu = CpuMeter::start(args.server_pid);
    let start = Instant::now();
    for _ in 0..bursts {
        // Write and read at once: the server stops reading when its replies are not taken.
        let bytes = burst.clone();
        let writer = tokio::spawn(async move { tx.write_all(&bytes).await.map(|()| tx) });
        for want in 1..=count {
            reply_bytes += frames.read(&mut rx, &mut frame).await? as u64;
            let v: Value = frames.parse(&frame)?;
            // The floor does not read ids, so only the demo's order is checked.
            out_of_order += u64::from(!args.is_floor && v["id"] != want);
            errors += u64::from(v.get("error").is_some());
        }
        tx = writer.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu.elapsed();
    let replies = count * bursts;
    let mut row = Row::new(format!("pipelined {bursts}×{count} gets"));
    row.throughput = format!("{:.0} replies/s", replies as f64 / wall);
    row.latency = format!("{:.1} ms per burst, {} B/reply", wall * 1e3 / bursts as f64, reply_bytes / replies);
    if let Some(cpu) = cpu {
        row.cpu = format!("{:.3} µs/reply", cpu / replies as f64 * 1e6);
        row.key = Some(("server CPU µs per pipelined reply", cpu / replies as f64 * 1e6));
    }
    row.failures = out_of_order + errors;
    row.note = format!("{out_of_order} out of order, {errors} errors");
    row.json = json!({
        "requests": replies, "bursts": bursts, "seconds": wall, "replies_per_s": replies as f64 / wall,
        "request_bytes_per_burst": request_bytes, "reply_bytes_per_reply": reply_bytes as f64 / replies as f64,
        "out_of_order": out_of_order, "errors": errors, "server_cpu_s": cpu,
        "server_cpu_us_per_request": cpu.map(|c| c / replies as f64 * 1e6),
    });
    Ok(row)
}
