//! Timestamps, and the time source records stamp their values with.

use core::fmt;

use maitake_sync::blocking::Mutex;

/// Nanoseconds since the clock's epoch (the Unix epoch on std, boot on MCUs).
///
/// On the wire it is written `"<secs>.<9-digit nanos>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch itself.
    pub const ZERO: Timestamp = Timestamp(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// From microseconds since the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Timestamp(micros.saturating_mul(1_000))
    }

    /// From milliseconds since the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Timestamp(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch.
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// The sub-second part in nanoseconds.
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// This timestamp plus `millis` milliseconds (saturating).
    // Not inlined: a saturating 64-bit multiply costs flash at each caller
    // on a 32-bit MCU.
    #[inline(never)]
    pub const fn plus_millis(self, millis: u64) -> Self {
        Timestamp(self.0.saturating_add(millis.saturating_mul(1_000_000)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs(), self.subsec_nanos())
    }
}

/// Where [`now`] reads the time. Records stamp each published value with it.
static SOURCE: Mutex<Option<fn() -> Timestamp>> = Mutex::new(None);

/// Install the time source used to stamp published values.
///
/// Runtime adapters do this for you (`aimx_tokio::install_time`, …). Until
/// one is installed, values are stamped with [`Timestamp::ZERO`].
pub fn set_source(source: fn() -> Timestamp) {
    SOURCE.with_lock(|s| *s = Some(source));
}

/// The current time from the installed source, or zero without one.
pub fn now() -> Timestamp {
    match SOURCE.with_lock(|s| *s) {
        Some(source) => source(),
        None => Timestamp::ZERO,
    }
}
