//! The pre-hello budget. Connections that have not said hello yet hold a
//! place in a small table of their own (`Config::max_pending`, at most
//! [`MAX_PENDING`]); greeted sessions count against `max_sessions`. When the
//! table is full, a new connection evicts the oldest connection still silent,
//! but only one that has been silent for [`EVICT_AFTER_MS`]: a burst of real
//! clients, all connecting before any of them says hello, is never evicted
//! (the newcomer waits for a place instead). So a flood of silent connections
//! can delay a client by about a second, never shut it out, and never holds
//! more than the budget of silent sessions at once.

use super::{Server, SessionEnd};
use crate::runtime::Clock;
use crate::Timestamp;

/// The largest pre-hello budget: the table is this many 4-byte entries.
pub const MAX_PENDING: usize = 16;

/// How long a connection must have been silent before a newcomer may evict it.
pub const EVICT_AFTER_MS: u32 = 1_000;

/// How often a session waiting for its hello checks whether it was evicted.
const CHECK_MS: u64 = 500;

/// A session's place in the table: its index and the moment (in ms of the
/// monotonic clock, never 0) it entered, which tells it from a later holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    index: u8,
    /// The `serve_many` slots it came through (0: not from `serve_many`).
    slots: u16,
    since: u32,
}

/// When each waiting connection entered (ms, wrapping); 0 marks a free entry.
#[derive(Clone, Copy)]
pub(crate) struct Pending([u32; MAX_PENDING]);

impl Pending {
    pub(crate) const fn new() -> Self {
        Pending([0; MAX_PENDING])
    }

    fn holds(&self, t: Ticket) -> bool {
        self.0[t.index as usize] == t.since
    }

    /// The index of the entry waiting longest, with its age.
    fn oldest(&self, now: u32) -> Option<(usize, u32)> {
        let ages = self.0.iter().enumerate().filter(|(_, &s)| s != 0);
        ages.map(|(i, &s)| (i, now.wrapping_sub(s))).max_by_key(|&(_, age)| age)
    }
}

/// What [`Server::admit`] decided.
pub(crate) enum Admission {
    /// In, with a place in the budget (`None` for a link).
    In(Option<Ticket>),
    /// Every greeted place is taken (counted as refused).
    Full,
    /// The budget is full of connections younger than a second: try again
    /// when one leaves, says hello, or at this moment.
    WaitUntil(Timestamp),
}

fn millis(t: Timestamp) -> u32 {
    ((t.as_nanos() / 1_000_000) as u32).max(1)
}

impl<C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Server<'_, C, SUBS, LINE, OUT> {
    /// A link's session (never in the budget): `false` (counted as refused)
    /// when every greeted place is taken.
    pub(crate) fn admit_link(&self) -> bool {
        let max = self.config.max_sessions as u64;
        let started = self.clock.now();
        self.counters.sessions.with_lock(|s| {
            s.started_at.get_or_insert(started);
            let room = s.greeted < max;
            if room {
                s.open += 1;
                s.total += 1;
            } else {
                s.refused += 1;
            }
            room
        })
    }

    /// Admits a new connection, evicting the oldest silent one if the
    /// budget is full and it has waited long enough. `slots`: how many
    /// `serve_many` slots it came through (0: not from `serve_many`); while
    /// every slot is taken, the oldest connection silent for a second
    /// leaves, so a slot frees for the next one.
    pub(crate) fn admit(&self, slots: usize) -> Admission {
        let max = self.config.max_sessions as u64;
        let budget = self.config.max_pending.clamp(1, MAX_PENDING);
        let now = self.clock.monotonic();
        let ms = millis(now);
        let started = self.clock.now();
        self.counters.sessions.with_lock(|s| {
            s.started_at.get_or_insert(started);
            if s.greeted >= max {
                s.refused += 1;
                return Admission::Full;
            }
            let waiting = s.pending.0.iter().filter(|&&t| t != 0).count();
            if waiting >= budget {
                match s.pending.oldest(ms) {
                    Some((i, age)) if age >= EVICT_AFTER_MS => {
                        s.pending.0[i] = 0;
                        s.evicted += 1;
                    }
                    Some((_, age)) => {
                        return Admission::WaitUntil(now.plus_millis(u64::from(EVICT_AFTER_MS - age)));
                    }
                    None => {}
                }
            }
            // A free entry was found or made above.
            let index = s.pending.0.iter().position(|&t| t == 0).unwrap_or(0);
            s.pending.0[index] = ms;
            s.open += 1;
            s.total += 1;
            let ticket = Ticket { index: index as u8, slots: slots.min(u16::MAX as usize) as u16, since: ms };
            Admission::In(Some(ticket))
        })
    }

    /// For a session that has not said hello and must by `by`: how it ends
    /// now (the deadline passed, or it was evicted), or when to check again.
    /// An eviction is noticed at the next check ([`CHECK_MS`]), not at once:
    /// a waiter per session would cost RAM on every MCU session, and the
    /// evicted place is free already.
    pub(crate) fn silence(&self, by: Timestamp, ticket: Option<Ticket>) -> Result<Timestamp, SessionEnd> {
        let now = self.clock.monotonic();
        match ticket {
            Some(t) if self.gone(t) => Err(SessionEnd::Evicted),
            _ if now >= by => Err(SessionEnd::HandshakeTimeout),
            Some(_) => Ok(by.min(now.plus_millis(CHECK_MS))),
            None => Ok(by),
        }
    }

    /// Whether `ticket` lost its place; takes it away when every
    /// `serve_many` slot is taken and it is the oldest silent for a second.
    fn gone(&self, t: Ticket) -> bool {
        let ms = millis(self.clock.monotonic());
        self.counters.sessions.with_lock(|s| {
            if !s.pending.holds(t) {
                return true;
            }
            let full = t.slots > 0 && s.open >= u64::from(t.slots);
            match s.pending.oldest(ms) {
                Some((i, age)) if full && i == t.index as usize && age >= EVICT_AFTER_MS => {
                    s.pending.0[i] = 0;
                    s.evicted += 1;
                    true
                }
                _ => false,
            }
        })
    }

    /// Waits until a place may have freed (or `at`); used by a newcomer that
    /// found the budget full.
    pub(crate) async fn room(&self, at: Timestamp) {
        let freed = async {
            let _ = self.admission.wait().await;
        };
        futures_lite::future::or(freed, self.clock.sleep_until(at)).await;
    }

    /// A hello succeeded: the session leaves the budget for a greeted place.
    /// `Err(Evicted)` if it lost its place meanwhile, `Err(Refused…)`
    /// (counted as refused) when every greeted place is taken.
    pub(crate) fn greet(&self, ticket: Option<Ticket>) -> Result<(), SessionEnd> {
        let max = self.config.max_sessions as u64;
        let result = self.counters.sessions.with_lock(|s| {
            if let Some(t) = ticket {
                if !s.pending.holds(t) {
                    return Err(SessionEnd::Evicted);
                }
            }
            if s.greeted >= max {
                s.refused += 1;
                return Err(SessionEnd::TooManySessions);
            }
            if let Some(t) = ticket {
                s.pending.0[t.index as usize] = 0;
            }
            s.greeted += 1;
            Ok(())
        });
        if result.is_ok() && ticket.is_some() {
            self.admission.wake_all();
        }
        result
    }
}

impl<C, const SUBS: usize, const LINE: usize, const OUT: usize> Server<'_, C, SUBS, LINE, OUT> {
    /// A session ended: its place (greeted, or in the budget) is free again.
    pub(crate) fn leave(&self, ticket: Option<Ticket>, greeted: bool) {
        let freed = self.counters.sessions.with_lock(|s| {
            s.open -= 1;
            if greeted {
                s.greeted -= 1;
                return false;
            }
            match ticket {
                Some(t) if s.pending.holds(t) => {
                    s.pending.0[t.index as usize] = 0;
                    true
                }
                _ => false,
            }
        });
        if freed {
            self.admission.wake_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entry_is_found_across_wrap_around() {
        let mut p = Pending::new();
        p.0[3] = u32::MAX - 10;
        p.0[5] = 5;
        p.0[7] = 2;
        assert_eq!(p.oldest(20), Some((3, 31)));
        p.0[3] = 0;
        assert_eq!(p.oldest(20), Some((7, 18)));
        assert!(p.holds(Ticket { index: 5, slots: 0, since: 5 }) && !p.holds(Ticket { index: 5, slots: 0, since: 6 }));
        assert_eq!(Pending::new().oldest(7), None);
    }
}
