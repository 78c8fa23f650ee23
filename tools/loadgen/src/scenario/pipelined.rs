//! One session, `--bursts` bursts of `--count` gets each: replies/s, server
//! CPU per reply, and every reply in order.
//!
//! With a floor, the bursts alternate between the floor and the server
//! (floor, server, floor, server…), each server's figures summed over its
//! own bursts, so the machine's drift weighs on both alike.

use std::time::Instant;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::args::Args;
use crate::conn::{Conn, Res, Writer};
use crate::frames::Frames;
use crate::procfs::CpuMeter;
use crate::report::Row;

/// One server's session and what was measured on it so far.
struct Side {
    rx: crate::conn::Reader,
    tx: Option<Writer>,
    frames: Frames,
    is_floor: bool,
    pid: Option<u32>,
    /// One burst of requests, built first so the measurement is the
    /// server's, not JSON encoding's.
    burst: Vec<u8>,
    count: u64,
    bursts: u64,
    wall: f64,
    /// `None` once any burst had no CPU reading.
    cpu: Option<f64>,
    out_of_order: u64,
    errors: u64,
    reply_bytes: u64,
}

impl Side {
    async fn open(args: &Args) -> Res<Side> {
        let Conn { rx, tx, frames, .. } = Conn::open(args).await?;
        let params = args.get_params();
        let count = args.count as u64;
        let burst = (1..=count).flat_map(|id| frames.frame(&frames.request(id, "record.get", &params))).collect();
        Ok(Side {
            rx,
            tx: Some(tx),
            frames,
            is_floor: args.is_floor,
            pid: args.server_pid,
            burst,
            count,
            bursts: 0,
            wall: 0.0,
            cpu: Some(0.0),
            out_of_order: 0,
            errors: 0,
            reply_bytes: 0,
        })
    }

    async fn burst(&mut self) -> Res<()> {
        let cpu = CpuMeter::start(self.pid);
        let start = Instant::now();
        // Write and read at once: the server stops reading when its replies are not taken.
        let (bytes, mut tx) = (self.burst.clone(), self.tx.take().ok_or("the writer was lost")?);
        let writer = tokio::spawn(async move { tx.write_all(&bytes).await.map(|()| tx) });
        let mut frame = Vec::new();
        for want in 1..=self.count {
            self.reply_bytes += self.frames.read(&mut self.rx, &mut frame).await? as u64;
            let v: Value = self.frames.parse(&frame)?;
            // The floor does not read ids, so only the demo's order is checked.
            self.out_of_order += u64::from(!self.is_floor && v["id"] != want);
            self.errors += u64::from(v.get("error").is_some());
        }
        self.tx = Some(writer.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?);
        self.wall += start.elapsed().as_secs_f64();
        self.cpu = self.cpu.zip(cpu.elapsed()).map(|(sum, c)| sum + c);
        self.bursts += 1;
        Ok(())
    }

    fn row(self) -> Row {
        let (bursts, wall, cpu) = (self.bursts, self.wall, self.cpu);
        let replies = self.count * bursts;
        let mut row = Row::new(format!("pipelined {bursts}×{} gets", self.count));
        row.throughput = format!("{:.0} replies/s", replies as f64 / wall);
        row.latency = format!("{:.1} ms per burst, {} B/reply", wall * 1e3 / bursts as f64, self.reply_bytes / replies);
        if let Some(cpu) = cpu {
            row.cpu = format!("{:.3} µs/reply", cpu / replies as f64 * 1e6);
            row.key = Some(("server CPU µs per pipelined reply", cpu / replies as f64 * 1e6));
        }
        row.failures = self.out_of_order + self.errors;
        row.note = format!("{} out of order, {} errors", self.out_of_order, self.errors);
        row.json = json!({
            "requests": replies, "bursts": bursts, "seconds": wall, "replies_per_s": replies as f64 / wall,
            "request_bytes_per_burst": self.burst.len(), "reply_bytes_per_reply": self.reply_bytes as f64 / replies as f64,
            "out_of_order": self.out_of_order, "errors": self.errors, "server_cpu_s": cpu,
            "server_cpu_us_per_request": cpu.map(|c| c / replies as f64 * 1e6),
        });
        row
    }
}

/// The server alone.
pub async fn run(args: &Args) -> Res<Row> {
    let mut side = Side::open(args).await?;
    for _ in 0..args.bursts.max(1) {
        side.burst().await?;
    }
    Ok(side.row())
}

/// The floor and the server, bursts alternating: the floor's row, then the server's.
pub async fn paired(floor: &Args, args: &Args) -> (Res<Row>, Res<Row>) {
    let (f, s) = (Side::open(floor).await, Side::open(args).await);
    super::alternate(f, s, args.bursts, async |side: &mut Side| side.burst().await, Side::row).await
}
