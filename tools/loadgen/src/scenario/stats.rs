//! The server's own counters (`server.stats`, an aimx extension): the soak
//! checks from them that no session was left open.

use serde_json::json;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::procfs::rss_bytes;
use crate::report::Row;

pub async fn run(args: &Args) -> Res<Row> {
    let mut c = Conn::open(args).await?;
    let stats = c.call("server.stats", json!({})).await?;
    let rss = args.server_pid.and_then(rss_bytes);
    let mut row = Row::new("server.stats");
    // This session itself is the one open session expected.
    row.throughput = format!("{} open (this one included), {} total", stats["sessions_open"], stats["sessions_total"]);
    row.latency = format!("{} events sent, {} dropped", stats["events_sent"], stats["events_dropped"]);
    row.cpu = rss.map_or("-".into(), |r| format!("RSS {:.1} MiB", r as f64 / 1048576.0));
    row.json = json!({"stats": stats, "rss": rss});
    Ok(row)
}
