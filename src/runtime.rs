//! The two things the core needs from an executor: a clock and, for servers
//! that run one task per session, a way to spawn.

use core::future::Future;

use crate::time::Timestamp;

/// Spawns a `'static` future onto some executor.
///
/// The std adapters implement it for tokio, async-std and smol. On an MCU
/// without a heap, use the spawn-free path instead (one future serving
/// several sessions), so this trait is optional for the core.
pub trait Spawn {
    /// Start `future` in the background. Returns [`SpawnError`] when the
    /// executor has no room (for example a full task pool).
    fn spawn<F>(&self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static;
}

/// The executor could not take another task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnError;

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the executor could not spawn another task")
    }
}

impl core::error::Error for SpawnError {}

/// Time for timestamps, and a monotonic clock with sleeping for deadlines.
///
/// Two readings, because they answer different questions: [`Clock::now`]
/// stamps values and `ping` replies (wall time where there is one), while
/// the handshake and write deadlines are points on [`Clock::monotonic`],
/// which a wall-clock step (NTP, a user setting the date) cannot move.
pub trait Clock {
    /// The current time for timestamps (wall clock where there is one, time
    /// since boot otherwise).
    fn now(&self) -> Timestamp;

    /// A reading of a clock that never jumps, for deadlines. Its epoch is
    /// the clock's own choice. The default is [`Clock::now`], right for
    /// clocks that count time since boot.
    fn monotonic(&self) -> Timestamp {
        self.now()
    }

    /// Completes at or after `deadline`, a point on [`Clock::monotonic`].
    fn sleep_until(&self, deadline: Timestamp) -> impl Future<Output = ()>;
}

impl<C: Clock> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }

    fn monotonic(&self) -> Timestamp {
        (**self).monotonic()
    }

    fn sleep_until(&self, deadline: Timestamp) -> impl Future<Output = ()> {
        (**self).sleep_until(deadline)
    }
}
