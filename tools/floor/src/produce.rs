//! A producer at a fixed rate above the timer's resolution: each tick
//! publishes every value that has come due since the last one.

use std::time::{Duration, Instant};

/// Calls `publish(n)` with the number of values due, forever.
pub async fn at_rate(rate_hz: f64, mut publish: impl FnMut(u64)) {
    let start = Instant::now();
    let tick = Duration::from_secs_f64(1.0 / rate_hz).max(Duration::from_millis(1));
    let mut published = 0u64;
    loop {
        tokio::time::sleep(tick).await;
        let due = (start.elapsed().as_secs_f64() * rate_hz) as u64;
        if due > published {
            publish(due - published);
            published = due;
        }
    }
}
