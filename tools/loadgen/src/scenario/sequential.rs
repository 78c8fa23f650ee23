//! One session, one `record.get` at a time: requests/s and latency.
//!
//! With a floor, both servers are measured in one pass that alternates
//! between them in `--slices` slices (floor, server, floor, server…), each
//! server's figures summed over its own slices: a shared machine's load
//! drifts over seconds, and one block on each server would hand that drift
//! to the ratio.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::procfs::CpuMeter;
use crate::report::{percentile, us, Row};

/// One server's session and what was measured on it so far.
struct Side {
    conn: Conn,
    params: serde_json::Value,
    pid: Option<u32>,
    lat: Vec<Duration>,
    wall: f64,
    /// `None` once any slice had no CPU reading.
    cpu: Option<f64>,
}

impl Side {
    async fn open(args: &Args) -> Res<Side> {
        let mut conn = Conn::open(args).await?;
        let params = args.get_params();
        conn.call("record.get", params.clone()).await?; // warm-up, and the record must have a value
        Ok(Side { conn, params, pid: args.server_pid, lat: Vec::new(), wall: 0.0, cpu: Some(0.0) })
    }

    /// Requests one at a time for `length`.
    async fn slice(&mut self, length: Duration) -> Res<()> {
        let cpu = CpuMeter::start(self.pid);
        let start = Instant::now();
        while start.elapsed() < length {
            let t = Instant::now();
            self.conn.call("record.get", self.params.clone()).await?;
            self.lat.push(t.elapsed());
        }
        self.wall += start.elapsed().as_secs_f64();
        self.cpu = self.cpu.zip(cpu.elapsed()).map(|(sum, c)| sum + c);
        Ok(())
    }

    fn row(mut self, slices: usize) -> Row {
        self.lat.sort();
        let lat = &self.lat;
        let n = lat.len() as f64;
        let (p50, p99, max) = (percentile(lat, 50.0), percentile(lat, 99.0), lat.last().copied());
        let mut row = Row::new("sequential get");
        row.throughput = format!("{:.0} req/s", n / self.wall);
        if let (Some(p50), Some(p99), Some(max)) = (p50, p99, max) {
            row.latency = format!("p50 {} / p99 {} / max {}", us(p50), us(p99), us(max));
        }
        if let Some(cpu) = self.cpu {
            row.cpu = format!("{:.2} µs/req", cpu / n * 1e6);
            row.key = Some(("server CPU µs per request", cpu / n * 1e6));
        }
        row.json = json!({
            "requests": lat.len(), "seconds": self.wall, "requests_per_s": n / self.wall, "slices": slices,
            "p50_us": p50.map(|d| d.as_secs_f64() * 1e6), "p99_us": p99.map(|d| d.as_secs_f64() * 1e6),
            "max_us": max.map(|d| d.as_secs_f64() * 1e6), "server_cpu_s": self.cpu,
            "server_cpu_us_per_request": self.cpu.map(|c| c / n * 1e6),
        });
        row
    }
}

/// The server alone, for `--seconds`.
pub async fn run(args: &Args) -> Res<Row> {
    let mut side = Side::open(args).await?;
    side.slice(Duration::from_secs_f64(args.seconds)).await?;
    Ok(side.row(1))
}

/// The floor and the server in alternating slices, `--seconds` on each in
/// all: the floor's row, then the server's.
pub async fn paired(floor: &Args, args: &Args) -> (Res<Row>, Res<Row>) {
    let slices = args.slices.max(1);
    let length = Duration::from_secs_f64(args.seconds / slices as f64);
    let (f, s) = (Side::open(floor).await, Side::open(args).await);
    super::alternate(f, s, slices, async |side: &mut Side| side.slice(length).await, |side| side.row(slices)).await
}
