//! Server-wide counters, reported by `server.stats`.
//!
//! The counters bumped on every request, event and write are atomics, so
//! the hot path takes no lock for them; only session start and end take the
//! small lock that also guards `started_at`.

use maitake_sync::blocking::Mutex;

use crate::Timestamp;

/// Counters since the server was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// When the server started serving ([`Server::mark_started`](crate::server::Server::mark_started),
    /// or its first session): the records' `created_at`.
    pub started_at: Option<crate::Timestamp>,
    /// Sessions open now.
    pub sessions_open: u64,
    /// Sessions accepted since start.
    pub sessions_total: u64,
    /// Sessions refused with `too_many_sessions`.
    pub sessions_refused: u64,
    /// Connections still silent that a newer one evicted (the pre-hello
    /// budget was full).
    pub sessions_evicted: u64,
    /// Greeted sessions closed by the idle timeout (`Config::idle_timeout_ms`).
    pub sessions_idle: u64,
    /// Requests handled (hellos not included).
    pub requests: u64,
    /// Events sent to subscribers.
    pub events_sent: u64,
    /// Values subscribers skipped (the sum of every `dropped`).
    pub events_dropped: u64,
    /// Values rate-limited subscriptions passed over by request (the sum
    /// of every `coalesced`).
    pub events_coalesced: u64,
    /// Hellos refused for a missing or wrong token.
    pub auth_failures: u64,
    /// Lines answered with `parse_error`, `protocol_error` or `line_too_long`.
    pub parse_errors: u64,
    /// Bytes read from peers.
    pub bytes_in: u64,
    /// Bytes written to peers.
    pub bytes_out: u64,
}

// 64-bit atomics where the target has them (or `critical-section` provides
// them); 32-bit ones, which wrap, on targets with neither.
#[cfg(any(target_has_atomic = "64", feature = "critical-section"))]
type Word = portable_atomic::AtomicU64;
#[cfg(not(any(target_has_atomic = "64", feature = "critical-section")))]
type Word = portable_atomic::AtomicU32;

/// One lock-free counter.
pub(crate) struct Counter(Word);

impl Counter {
    const fn new() -> Self {
        Counter(Word::new(0))
    }

    /// Adds `n` (relaxed: the counters are independent tallies).
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n as _, portable_atomic::Ordering::Relaxed);
    }

    #[allow(clippy::useless_conversion)]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(portable_atomic::Ordering::Relaxed).into()
    }
}

/// Session bookkeeping, changed only when a session starts or ends.
#[derive(Clone, Copy)]
pub(crate) struct Sessions {
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) open: u64,
    pub(crate) total: u64,
    pub(crate) refused: u64,
    /// Sessions past their hello: `max_sessions` bounds these, so sessions
    /// still waiting for a hello never take a greeted session's place.
    pub(crate) greeted: u64,
    /// Connections waiting for their hello (the pre-hello budget).
    pub(crate) pending: super::admit::Pending,
    pub(crate) evicted: u64,
}

/// The live counters behind [`Stats`].
pub(crate) struct Counters {
    pub(crate) sessions: Mutex<Sessions>,
    pub(crate) sessions_idle: Counter,
    pub(crate) requests: Counter,
    pub(crate) events_sent: Counter,
    pub(crate) events_dropped: Counter,
    pub(crate) events_coalesced: Counter,
    pub(crate) auth_failures: Counter,
    pub(crate) parse_errors: Counter,
    pub(crate) bytes_in: Counter,
    pub(crate) bytes_out: Counter,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            sessions: Mutex::new(Sessions {
                started_at: None,
                open: 0,
                total: 0,
                refused: 0,
                greeted: 0,
                pending: super::admit::Pending::new(),
                evicted: 0,
            }),
            sessions_idle: Counter::new(),
            requests: Counter::new(),
            events_sent: Counter::new(),
            events_dropped: Counter::new(),
            events_coalesced: Counter::new(),
            auth_failures: Counter::new(),
            parse_errors: Counter::new(),
            bytes_in: Counter::new(),
            bytes_out: Counter::new(),
        }
    }

    /// A copy of every counter. Each is read on its own, so a snapshot
    /// taken while sessions run may mix counts from slightly different
    /// moments.
    pub(crate) fn snapshot(&self) -> Stats {
        let s = self.sessions.with_lock(|s| *s);
        Stats {
            started_at: s.started_at,
            sessions_open: s.open,
            sessions_total: s.total,
            sessions_refused: s.refused,
            sessions_evicted: s.evicted,
            sessions_idle: self.sessions_idle.get(),
            requests: self.requests.get(),
            events_sent: self.events_sent.get(),
            events_dropped: self.events_dropped.get(),
            events_coalesced: self.events_coalesced.get(),
            auth_failures: self.auth_failures.get(),
            parse_errors: self.parse_errors.get(),
            bytes_in: self.bytes_in.get(),
            bytes_out: self.bytes_out.get(),
        }
    }
}
