//! The idle timeout of network sessions: a greeted session with no
//! subscription that sends nothing for this long is closed (`idle_timeout`),
//! so peers that connect, say hello and go quiet cannot hold the server's
//! sessions forever. Clients that keep a session open without using it send
//! `ping`s well within it (the `aimx` client does, every 60 s).
//!
//! The accept loops apply it to TCP connections only: a Unix socket's peers
//! are local processes allowed by the socket file's permissions, and keep
//! the server's own `Config::idle_timeout_ms` (off unless set).

use std::time::Duration;

/// The TCP accept loops' default: 5 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The timeout in ms as the core takes it (`None`, or zero: off).
pub fn idle_ms(timeout: Option<Duration>) -> u64 {
    timeout.map_or(0, |t| t.as_millis().min(u128::from(u64::MAX)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_zero_and_sub_second_values_stay() {
        assert_eq!(idle_ms(None), 0);
        assert_eq!(idle_ms(Some(Duration::ZERO)), 0);
        assert_eq!(idle_ms(Some(Duration::from_millis(250))), 250);
        assert_eq!(idle_ms(Some(DEFAULT_IDLE_TIMEOUT)), 300_000);
    }
}
