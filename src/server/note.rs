//! What accept loops report about sessions, for logging.

use core::fmt;

use super::SessionEnd;

/// A session opened or closed; adapters hand these to a logging callback.
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
}

impl fmt::Display for SessionNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionNote::Opened { id, peer } => write!(f, "session {id} opened ({peer})"),
            SessionNote::Closed { id, end } => write!(f, "session {id} closed: {end:?}"),
        }
    }
}
