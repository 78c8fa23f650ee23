//! Server RSS idle, with `--sessions` idle sessions, and with each of them
//! holding one subscription: the per-session cost in bytes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::args::Args;
use crate::conn::Res;
use crate::procfs::rss_bytes;
use crate::report::Row;
use crate::scenario::sessions::open_many;

/// RSS after the server has had a moment to settle.
async fn settled_rss(pid: u32) -> Res<u64> {
    tokio::time::sleep(Duration::from_millis(700)).await;
    rss_bytes(pid).ok_or_else(|| format!("cannot read /proc/{pid}/status"))
}

pub async fn run(args: &Arc<Args>) -> Res<Row> {
    let pid = args.server_pid.ok_or("the memory scenario needs --server-pid")?;
    let n = args.sessions;
    let idle = settled_rss(pid).await?;
    let (mut conns, failed) = open_many(args, n).await;
    let with_sessions = settled_rss(pid).await?;
    let mut sub_failures = 0u64;
    for c in &mut conns {
        let sub = json!({"name": args.sub_record(), "send_initial": false, "queue_size": 1});
        sub_failures += u64::from(c.call("record.subscribe", sub).await.is_err());
    }
    let with_subs = settled_rss(pid).await?;
    drop(conns);
    let after_close = settled_rss(pid).await?;
    let per_session = (with_sessions as f64 - idle as f64) / n as f64;
    let per_sub_session = (with_subs as f64 - idle as f64) / n as f64;
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1048576.0);
    let mut row = Row::new(format!("memory, {n} sessions"));
    row.throughput = format!("{per_session:.0} B/session, {per_sub_session:.0} B/session+1 sub");
    row.latency = format!(
        "RSS idle {}, +sessions {}, +subs {}, after close {}",
        mib(idle),
        mib(with_sessions),
        mib(with_subs),
        mib(after_close)
    );
    row.failures = failed.len() as u64 + sub_failures;
    row.key = Some(("RSS bytes per session with 1 subscription", per_sub_session));
    row.json = json!({
        "sessions": n, "rss_idle": idle, "rss_sessions": with_sessions, "rss_sessions_subscribed": with_subs,
        "rss_after_close": after_close, "bytes_per_session": per_session,
        "bytes_per_session_with_subscription": per_sub_session,
        "failed_sessions": failed.len(), "failed_subscriptions": sub_failures,
    });
    Ok(row)
}
