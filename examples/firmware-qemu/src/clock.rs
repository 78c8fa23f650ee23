//! `aimx::Clock` on embassy-time: time since boot, sleeping with `Timer`.

use aimx::{Clock, Timestamp};
use embassy_time::{Instant, Timer};

/// Time since boot from embassy-time.
pub struct EmbassyClock;

/// The current time as an AimX timestamp; also the records' time source.
pub fn now() -> Timestamp {
    Timestamp::from_micros(Instant::now().as_micros())
}

impl Clock for EmbassyClock {
    fn now(&self) -> Timestamp {
        now()
    }

    fn sleep_until(&self, deadline: Timestamp) -> impl core::future::Future<Output = ()> {
        Timer::at(Instant::from_micros(deadline.as_nanos() / 1_000))
    }
}
