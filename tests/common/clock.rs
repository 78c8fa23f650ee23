//! A clock that only moves when the test says so: deadlines are exact and
//! no test waits on wall time.

use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use aimx::{Clock, Timestamp};
use futures_lite::future::poll_fn;

#[derive(Default)]
struct State {
    now: u64,
    sleepers: Vec<Waker>,
}

/// A manually advanced clock, starting at 100 s.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<State>>);

impl ManualClock {
    pub fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(State { now: 100_000_000_000, sleepers: Vec::new() })))
    }

    /// Moves time forward and wakes every sleeper to re-check its deadline.
    pub fn advance_ms(&self, ms: u64) {
        let sleepers = {
            let mut s = self.0.lock().unwrap();
            s.now += ms * 1_000_000;
            std::mem::take(&mut s.sleepers)
        };
        sleepers.into_iter().for_each(Waker::wake);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.0.lock().unwrap().now)
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        poll_fn(|cx| {
            let mut s = self.0.lock().unwrap();
            if s.now >= deadline.as_nanos() {
                Poll::Ready(())
            } else {
                if !s.sleepers.iter().any(|w| w.will_wake(cx.waker())) {
                    s.sleepers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
        .await
    }
}
