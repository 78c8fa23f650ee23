//! One session, one `record.get` at a time: requests/s and latency.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::procfs::CpuMeter;
use crate::report::{percentile, us, Row};

pub async fn run(args: &Args) -> Res<Row> {
    let mut c = Conn::open(args).await?;
    let params = args.get_params();
    c.call("record.get", params.clone()).await?; // warm-up, and the record must have a value
    let cpu = CpuMeter::start(args.server_pid);
    let (start, limit) = (Instant::now(), Duration::from_secs_f64(args.seconds));
    let mut lat = Vec::new();
    while start.elapsed() < limit {
        let t = Instant::now();
        c.call("record.get", params.clone()).await?;
        lat.push(t.elapsed());
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu.elapsed();
    lat.sort();
    let n = lat.len() as f64;
    let (p50, p99, max) = (percentile(&lat, 50.0), percentile(&lat, 99.0), lat.last().copied());
    let mut row = Row::new("sequential get");
    row.throughput = format!("{:.0} req/s", n / wall);
    if let (Some(p50), Some(p99), Some(max)) = (p50, p99, max) {
        row.latency = format!("p50 {} / p99 {} / max {}", us(p50), us(p99), us(max));
    }
    if let Some(cpu) = cpu {
        row.cpu = format!("{:.2} µs/req", cpu / n * 1e6);
        row.key = Some(("server CPU µs per request", cpu / n * 1e6));
    }
    row.json = json!({
        "requests": lat.len(), "seconds": wall, "requests_per_s": n / wall,
        "p50_us": p50.map(|d| d.as_secs_f64() * 1e6), "p99_us": p99.map(|d| d.as_secs_f64() * 1e6),
        "max_us": max.map(|d| d.as_secs_f64() * 1e6), "server_cpu_s": cpu,
        "server_cpu_us_per_request": cpu.map(|c| c / n * 1e6),
    });
    Ok(row)
}
