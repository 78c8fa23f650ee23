//! Time from `embassy-time`: the clock sessions use for deadlines, and the
//! source that stamps published values.

use aimx::{Clock, Timestamp};
use embassy_time::{Instant, Timer, TICK_HZ};

/// Time since boot from `embassy-time` (the firmware picks the time driver).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbassyClock;

/// Time since boot, as an `aimx` timestamp.
pub fn now() -> Timestamp {
    Timestamp::from_micros(Instant::now().as_micros())
}

/// Stamp published record values with `embassy-time`'s clock.
pub fn install_time() {
    aimx::time::set_source(now);
}

const fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// `Instant::from_micros` multiplies by this; larger inputs would overflow.
const MAX_MICROS: u64 = u64::MAX / (TICK_HZ / gcd(TICK_HZ, 1_000_000));

impl Clock for EmbassyClock {
    fn now(&self) -> Timestamp {
        now()
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        // Round up: waking a microsecond early only makes the caller sleep again.
        let micros = deadline.as_nanos().div_ceil(1_000);
        // A deadline configured as "never" saturates instead of overflowing
        // (a no-op only at tick rates where MAX_MICROS is u64::MAX).
        #[allow(clippy::unnecessary_min_or_max)]
        let micros = micros.min(MAX_MICROS);
        Timer::at(Instant::from_micros(micros)).await
    }
}
