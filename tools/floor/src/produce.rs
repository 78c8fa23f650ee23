//! A producer at a fixed rate above the timer's resolution, paced like the
//! demo's sensor: reading `n` is due `n / rate` seconds after the start, and
//! each wake publishes every reading that has come due since the last.

use std::time::{Duration, Instant};

/// Calls `publish(n)` with the number of readings due, forever.
pub async fn at_rate(rate_hz: f64, mut publish: impl FnMut(u64)) {
    let start = Instant::now();
    let mut published = 0u64;
    loop {
        let due = (start.elapsed().as_secs_f64() * rate_hz) as u64 + 1;
        if due > published {
            publish(due - published);
            published = due;
        }
        tokio::time::sleep_until((start + Duration::from_secs_f64(published as f64 / rate_hz)).into()).await;
    }
}
