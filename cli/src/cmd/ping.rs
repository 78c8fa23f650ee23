//! `aimx ping`: round-trip latency.

use std::time::Duration;

use aimx_client::Client;
use serde_json::json;

use crate::fail::Fail;

pub async fn run(client: &Client, count: u32, interval_ms: u64, json: bool) -> Result<(), Fail> {
    let mut times = Vec::with_capacity(count as usize);
    for seq in 1..=count {
        if seq > 1 && interval_ms > 0 {
            tokio::time::sleep(Duration::from_millis(interval_ms)).await;
        }
        let rtt = client.ping().await?;
        if !json {
            println!("pong {seq}: {}", ms(rtt));
        }
        times.push(rtt);
    }
    times.sort();
    let s = Summary::of(&times);
    if json {
        let f = |d: Duration| d.as_secs_f64() * 1000.0;
        let line = json!({"count": times.len(), "min_ms": f(s.min), "median_ms": f(s.median), "p99_ms": f(s.p99), "max_ms": f(s.max)});
        println!("{line}");
    } else {
        let (min, median, p99, max) = (ms(s.min), ms(s.median), ms(s.p99), ms(s.max));
        println!("{} pings: min {min}, median {median}, p99 {p99}, max {max}", times.len());
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Debug, PartialEq)]
struct Summary {
    min: Duration,
    median: Duration,
    p99: Duration,
    max: Duration,
}

impl Summary {
    /// From sorted, non-empty samples; percentiles by nearest rank.
    fn of(sorted: &[Duration]) -> Summary {
        let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Summary { min: sorted[0], median: rank(0.5), p99: rank(0.99), max: sorted[sorted.len() - 1] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&ms);
        let d = Duration::from_millis;
        assert_eq!(s, Summary { min: d(1), median: d(50), p99: d(99), max: d(100) });
        assert_eq!(Summary::of(&[d(7)]), Summary { min: d(7), median: d(7), p99: d(7), max: d(7) });
    }
}
