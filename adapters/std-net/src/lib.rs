//! What the std accept loops of `aimx` (tokio, async-std, smol) share, so
//! each of them stays a short loop:
//!
//! * [`accept_error`]: which `accept()` errors are passing (out of file
//!   descriptors, a connection aborted before it was taken) and how long to
//!   wait before trying again;
//! * [`peers`]: a cap on connections per peer address and a back-off after
//!   failed hellos, so one address gets at most ~10 token guesses a second;
//! * [`keepalive`]: TCP keep-alive, so a peer that vanished frees its slot;
//! * [`idle`]: the idle timeout of TCP sessions (5 minutes by default);
//! * [`tls`]: a rustls server config from PEM files;
//! * `test_pki` (feature `test-pki`): certificates made at run time, for
//!   tests and measurements of the TLS path.
//!
//! The core knows none of this: TLS is just another stream to it.
#![deny(missing_docs)]

pub mod accept_error;
pub mod idle;
pub mod keepalive;
pub mod peers;
pub mod reply_pool;
#[cfg(feature = "test-pki")]
pub mod test_pki;
pub mod tls;

pub use accept_error::{is_transient, Backoff};
pub use idle::DEFAULT_IDLE_TIMEOUT;
pub use peers::{over_limit_line, OverLimit, Pass, PeerLimits, Peers};
pub use rustls;
