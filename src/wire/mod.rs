//! Bytes to messages and back. Nothing here does I/O or keeps session state.
//!
//! * [`line`](mod@line): the bounded line accumulator (over-long lines are skipped).
//! * [`scan`]: a validating JSON scanner with a depth bound, and an iterator
//!   over an object's members (raw spans, used for opaque values).
//! * `swar`: byte searches a word at a time, for those scans.
//! * `utf8`: UTF-8 checks (a small one on MCUs, `core`'s on 64-bit hosts).
//! * [`request`]: one line to a [`request::Message`].
//! * [`number`]: exact decimal numbers for fractional parameters.
//! * [`out`]: a JSON writer into a borrowed buffer.
//! * [`reply`]: the replies, events and errors the server sends.
//! * [`value`]: record values to JSON and back (serde), and the float path.

pub mod line;
pub mod number;
pub mod out;
pub mod reply;
pub mod request;
pub mod scan;
mod swar;
mod utf8;
pub mod value;

pub use line::{Framing, Line, LineReader};
pub use out::{Full, JsonOut};
pub use reply::{ErrorCode, Update, Wire};
pub use request::{Hello, Message, Method, ParseError, Request};
