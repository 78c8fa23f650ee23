//! What accept loops report about sessions, for logging.

use core::fmt;

use super::SessionEnd;

/// A session opened or closed, or the accept loop met trouble it survives;
/// adapters hand these to a logging callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionNote<'a> {
    /// A peer connected.
    Opened {
        /// Sequential session number, per accept loop family.
        id: u64,
        /// Where it came from, e.g. `tcp 127.0.0.1:50312`.
        peer: &'a str,
    },
    /// A session ended.
    Closed {
        /// Sequential session number.
        id: u64,
        /// Why.
        end: SessionEnd,
    },
    /// A connection opened but ended before its session started (its TLS
    /// handshake failed or timed out). No `Closed` follows.
    Dropped {
        /// Sequential session number.
        id: u64,
        /// Why, e.g. the TLS error.
        reason: &'a str,
    },
    /// `accept()` failed with a passing error (out of file descriptors…);
    /// the loop waits and accepts again.
    AcceptFailed {
        /// The error.
        error: &'a str,
        /// How long the loop waits before the next accept.
        retry_ms: u64,
    },
    /// A connection refused because its address already has as many open as
    /// it may (`too_many_sessions` was sent).
    PeerOverLimit {
        /// Where it came from.
        peer: &'a str,
    },
}

impl fmt::Display for SessionNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionNote::Opened { id, peer } => write!(f, "session {id} opened ({peer})"),
            SessionNote::Closed { id, end } => write!(f, "session {id} closed: {end:?}"),
            SessionNote::Dropped { id, reason } => write!(f, "session {id} dropped: {reason}"),
            SessionNote::AcceptFailed { error, retry_ms } => {
                write!(f, "accepting failed: {error}; retrying in {retry_ms} ms")
            }
            SessionNote::PeerOverLimit { peer } => write!(f, "refused {peer}: too many connections from it"),
        }
    }
}
