//! Issue 9, item 5: `TokioClock` deadlines are on tokio's monotonic clock.
//! Under paused time the wall clock stands still while tokio's moves, so a
//! deadline derived from wall time would never be reached here.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use aimx::Clock;
use aimx_tokio::TokioClock;

#[tokio::test(start_paused = true)]
async fn deadlines_follow_the_monotonic_clock() {
    let clock = TokioClock;
    let start = clock.monotonic();
    let deadline = start.plus_millis(5_000);
    let sleep = clock.sleep_until(deadline);
    tokio::pin!(sleep);
    tokio::time::advance(Duration::from_millis(4_999)).await;
    assert!(poll_once(sleep.as_mut()).await.is_pending(), "woke early");
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(poll_once(sleep.as_mut()).await.is_ready(), "not woken at the deadline");
    assert_eq!(clock.monotonic().as_nanos() - start.as_nanos(), 5_000_000_000);
}

async fn poll_once(f: Pin<&mut impl Future<Output = ()>>) -> Poll<()> {
    let mut f = Some(f);
    std::future::poll_fn(|cx| Poll::Ready(f.take().unwrap().poll(cx))).await
}
