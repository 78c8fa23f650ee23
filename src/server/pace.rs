//! Per-subscription rate limits (`max_rate_hz` / `min_interval_ms`): the
//! interval a client asks for, and the arithmetic of a paced subscription.
//!
//! A paced subscription sends at most one event per interval, the latest
//! value (as MAVLink's per-stream intervals do). The values it passes over
//! are split in two: `coalesced`, skipped because the client asked for
//! fewer, and `dropped`, owed to the client at its rate but lost because the
//! session was busy (a slow peer). Times are milliseconds on the monotonic
//! clock, kept in 32 bits: they wrap after 49.7 days, which at worst holds
//! one value back for one interval.

use super::msg::Msg;
use crate::time::Timestamp;
use crate::wire::request::Params;

/// The longest interval, in ms: it is kept in 16 bits.
pub const MAX_INTERVAL_MS: u32 = u16::MAX as u32;

/// A clock reading in ms, low 32 bits. Not inlined: a 64-bit division
/// costs flash at each of its callers.
#[inline(never)]
pub(crate) fn ms(t: Timestamp) -> u32 {
    (t.as_nanos() / 1_000_000) as u32
}

/// The interval the params ask for, in ms (`None` for no limit), or why
/// they cannot be taken. Not inlined: it is big for how seldom it runs.
#[inline(never)]
pub(crate) fn interval(params: &Params) -> Result<Option<u16>, Msg<'static>> {
    let from_rate = match params.max_rate_hz {
        None => None,
        Some(hz) => {
            // 1000 ms / hz, rounded up: never faster than asked (0: out of range).
            let interval = match hz.units_up() {
                micro_hz @ 1..=1_000_000_000 => 1_000_000_000u32.div_ceil(micro_hz),
                _ => 0,
            };
            match interval {
                ms @ 1..=MAX_INTERVAL_MS if !hz.negative => Some(ms as u16),
                _ => {
                    return Err(msg!("max_rate_hz must be a number from 0.0153 to 1000 (65535 to 1 ms between events)"))
                }
            }
        }
    };
    let from_interval = match params.min_interval_ms {
        None => None,
        Some(ms) => match ms.units_up() {
            n @ 1..=MAX_INTERVAL_MS if !ms.negative && ms.is_whole() => Some(n as u16),
            _ => return Err(msg!("min_interval_ms must be a whole number from 1 to 65535")),
        },
    };
    match (from_rate, from_interval) {
        (Some(a), Some(b)) if a != b => Err(msg!("max_rate_hz and min_interval_ms disagree (give one of them)")),
        (a, b) => Ok(a.or(b)),
    }
}

/// A paced subscription's timing: its interval and when it last sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pace {
    pub(crate) interval: u32,
    pub(crate) sent: u32,
}

impl Pace {
    /// A subscription that may send at once (`now`).
    pub(crate) fn ready_at(interval: u16, now: u32) -> Self {
        let interval = u32::from(interval);
        Pace { interval, sent: now.wrapping_sub(interval) }
    }

    /// How long until the next event may go out: 0 when it may now.
    pub(crate) fn wait(&self, now: u32) -> u32 {
        self.interval.saturating_sub(now.wrapping_sub(self.sent))
    }

    /// Splits the `skipped` values between the last event and the one going
    /// out `now` into `(dropped, coalesced)`.
    ///
    /// An interval counts as missed when it ended with a value held and
    /// the session did not send it: the value was due at `sent + interval`
    /// or later, and not before `looked`, the last time the session was
    /// known to be watching (waiting, or looking at every subscription), so
    /// it could not have sent it before. Each missed interval owed the
    /// client one value; the rest were coalesced by its choice.
    #[inline(never)]
    pub(crate) fn split(&self, skipped: u64, now: u32, looked: u32) -> (u64, u64) {
        let since_due = now.wrapping_sub(self.sent).saturating_sub(self.interval);
        let late = since_due.min(now.wrapping_sub(looked));
        let dropped = u64::from(late / self.interval).min(skipped);
        (dropped, skipped - dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::number::Fixed;

    fn params(hz: Option<&str>, ms: Option<&str>) -> Params<'static> {
        Params {
            max_rate_hz: hz.map(|t| Fixed::parse(t.as_bytes(), 6).unwrap()),
            min_interval_ms: ms.map(|t| Fixed::parse(t.as_bytes(), 0).unwrap()),
            ..Params::default()
        }
    }

    fn ok(hz: Option<&str>, ms: Option<&str>) -> Option<u16> {
        interval(&params(hz, ms)).unwrap_or_else(|_| panic!("{hz:?} {ms:?} refused"))
    }

    #[test]
    fn intervals_from_either_parameter() {
        assert_eq!(ok(None, None), None);
        assert_eq!(ok(Some("10"), None), Some(100));
        assert_eq!(ok(Some("0.5"), None), Some(2_000));
        // 3 Hz: 333.3 ms, rounded up so the rate stays at most 3 Hz.
        assert_eq!(ok(Some("3"), None), Some(334));
        assert_eq!(ok(Some("1000"), None), Some(1));
        assert_eq!(ok(Some("0.0153"), None), Some(65_360));
        assert_eq!(ok(None, Some("250")), Some(250));
        assert_eq!(ok(None, Some("65535")), Some(65_535));
        assert_eq!(ok(Some("4"), Some("250")), Some(250));
        assert_eq!(ok(Some("3"), Some("334")), Some(334));
    }

    #[test]
    fn bad_rates_are_refused() {
        let refused = [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("1000.001"), None),
            (Some("1e-400"), None),
            (Some("-0"), None),
            (Some("1e9"), None),
            (Some("0.01"), None),
            (None, Some("0")),
            (None, Some("-5")),
            (None, Some("1.5")),
            (None, Some("65536")),
            (None, Some("1e30")),
            (Some("10"), Some("50")),
        ];
        for (hz, ms) in refused {
            assert!(interval(&params(hz, ms)).is_err(), "{hz:?} {ms:?} taken");
        }
    }

    #[test]
    fn waiting_and_wrapping() {
        let pace = Pace::ready_at(100, 5_000);
        assert_eq!(pace.wait(5_000), 0);
        let pace = Pace { interval: 100, sent: 5_000 };
        assert_eq!((pace.wait(5_000), pace.wait(5_060), pace.wait(5_100), pace.wait(9_000)), (100, 40, 0, 0));
        // Across the 32-bit wrap of the millisecond clock.
        let pace = Pace { interval: 100, sent: u32::MAX - 10 };
        assert_eq!((pace.wait(50), pace.wait(89), pace.wait(200)), (39, 0, 0));
    }

    #[test]
    fn skipped_values_split_into_dropped_and_coalesced() {
        let pace = Pace { interval: 100, sent: 1_000 };
        // Sent as soon as due: everything skipped was coalesced.
        assert_eq!(pace.split(99, 1_100, 1_100), (0, 99));
        // Sent 1 s after it was due, the session busy all along: a session
        // keeping up would have sent 10 more events by then.
        assert_eq!(pace.split(99, 2_100, 1_000), (10, 89));
        // ... but never more than was skipped.
        assert_eq!(pace.split(3, 2_100, 1_000), (3, 0));
        // Late, but the session was watching until 2,050: one missed at most.
        assert_eq!(pace.split(99, 2_100, 2_050), (0, 99));
        assert_eq!(pace.split(99, 2_100, 1_990), (1, 98));
        // A value after a quiet minute, the session waiting: nothing missed.
        assert_eq!(pace.split(0, 61_000, 61_000), (0, 0));
    }
}
