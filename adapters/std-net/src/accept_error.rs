//! `accept()` errors that pass: the listener is fine, only this attempt
//! failed. An accept loop that returned on them would end the whole server
//! the moment it ran out of file descriptors.

use std::io;
use std::time::Duration;

/// Whether the listener can go on after this `accept()` error.
///
/// Out of descriptors or buffers (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`)
/// clears as sessions close; a connection reset or aborted before it was
/// accepted (`ECONNABORTED`, `ECONNRESET`, `EPROTO`…) concerns only that
/// peer. Anything else (a closed or invalid listener) is fatal.
pub fn is_transient(error: &io::Error) -> bool {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
            | io::ErrorKind::OutOfMemory
    ) {
        return true;
    }
    let Some(code) = error.raw_os_error() else { return false };
    [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOBUFS,
        libc::ENOMEM,
        libc::ECONNABORTED,
        libc::EPROTO,
        libc::EPERM,
        libc::EHOSTUNREACH,
        libc::ENETUNREACH,
        libc::ENETDOWN,
        libc::ENOPROTOOPT,
        libc::EOPNOTSUPP,
    ]
    .contains(&code)
}

/// How long to pause after consecutive failed accepts: 10 ms, doubling up to
/// 1 s, back to 10 ms after a success. Pausing gives closing sessions time to
/// free descriptors instead of spinning on the same error.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    /// A connection was accepted.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// An accept failed: how long to wait before the next.
    pub fn next_delay(&mut self) -> Duration {
        let delay = Self::FIRST.saturating_mul(1 << self.failures.min(7)).min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_exhaustion_passes_a_closed_listener_does_not() {
        for code in [libc::EMFILE, libc::ENFILE, libc::ECONNABORTED, libc::ENOBUFS] {
            assert!(is_transient(&io::Error::from_raw_os_error(code)), "{code}");
        }
        assert!(!is_transient(&io::Error::from_raw_os_error(libc::EBADF)));
        assert!(!is_transient(&io::Error::from_raw_os_error(libc::EINVAL)));
    }

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let delays: Vec<_> = (0..9).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 10);
    }
}
