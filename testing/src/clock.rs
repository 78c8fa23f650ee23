//! A clock that moves only when the test says so: deadlines (the hello
//! deadline, the write deadline) fire exactly when a test advances past
//! them, and no test waits on wall time.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use aimx::{Clock, Timestamp};
use maitake_sync::blocking::Mutex;

struct State {
    /// The monotonic reading, in nanoseconds.
    now: u64,
    /// How far the wall clock (`now()`) is set from the monotonic one.
    wall_offset: i64,
    sleepers: Vec<Waker>,
}

/// A manually advanced [`Clock`], starting at 100 s. Clones share one time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<State>>);

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock at 100 s.
    pub fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(State { now: 100_000_000_000, wall_offset: 0, sleepers: Vec::new() })))
    }

    /// Moves time (wall and monotonic) forward and wakes every sleeper to
    /// re-check its deadline.
    pub fn advance_ms(&self, ms: u64) {
        let sleepers = self.0.with_lock(|s| {
            s.now += ms * 1_000_000;
            core::mem::take(&mut s.sleepers)
        });
        sleepers.into_iter().for_each(Waker::wake);
    }

    /// Sets the wall clock `ms` milliseconds away from where it is (an NTP
    /// step, a user changing the date); the monotonic clock, which
    /// deadlines use, does not move.
    pub fn step_wall_ms(&self, ms: i64) {
        self.0.with_lock(|s| s.wall_offset += ms * 1_000_000);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.0.with_lock(|s| s.now.saturating_add_signed(s.wall_offset)))
    }

    fn monotonic(&self) -> Timestamp {
        Timestamp::from_nanos(self.0.with_lock(|s| s.now))
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        poll_fn(|cx| {
            self.0.with_lock(|s| {
                if s.now >= deadline.as_nanos() {
                    Poll::Ready(())
                } else {
                    if !s.sleepers.iter().any(|w| w.will_wake(cx.waker())) {
                        s.sleepers.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            })
        })
        .await
    }
}
