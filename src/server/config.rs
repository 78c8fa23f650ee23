//! What a server is told at start: its name, policy, token and deadlines.

use core::fmt;

/// Who may change records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `record.set` is refused for every record.
    ReadOnly,
    /// `record.set` is allowed for records made writable.
    ReadWrite,
}

/// An auth token. Compared in constant time; `Debug` never shows it.
#[derive(Clone, Copy)]
pub struct Token<'a>(&'a str);

impl<'a> Token<'a> {
    /// Wrap the expected token.
    pub const fn new(token: &'a str) -> Self {
        Token(token)
    }

    /// Whether `candidate` equals the token. The time taken depends only on
    /// the candidate's length, never on how much of it matches.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        let mut diff = expected.len() ^ candidate.len();
        for (i, &c) in candidate.iter().enumerate() {
            let e = expected.get(i % expected.len().max(1)).copied().unwrap_or(0);
            diff |= usize::from(e ^ c);
        }
        core::hint::black_box(diff) == 0
    }
}

impl fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Server configuration. Build it with `const fn`s, so it can sit in a
/// `static` server:
///
/// ```
/// use aimx::{Config, Policy, Token};
///
/// const CONFIG: Config<'static> = Config::new()
///     .name("thermostat/1.2")
///     .read_write() // record.set allowed on writable records
///     .token(Token::new("s3cret")) // a hello must carry it
///     .max_sessions(4)
///     .handshake_timeout_ms(5_000);
///
/// assert_eq!((CONFIG.policy, CONFIG.max_sessions, CONFIG.write_timeout_ms), (Policy::ReadWrite, 4, 30_000));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    /// Sent as `server` in the welcome, e.g. `"aimx/0.1.0"`.
    pub name: &'a str,
    /// When set, a hello must carry this token.
    pub token: Option<Token<'a>>,
    /// Read-only (the default) or read-write.
    pub policy: Policy,
    /// A peer that sends no hello within this time is closed.
    pub handshake_timeout_ms: u64,
    /// A peer that takes no byte of a pending write for this time is closed
    /// (measured from its last progress: a slow reader that keeps reading
    /// stays, and loses the oldest values instead).
    pub write_timeout_ms: u64,
    /// Greeted sessions at once: a connection while they are all taken, or
    /// a hello that would be one too many, gets `too_many_sessions`.
    /// Connections that have not said hello yet are not counted (each is
    /// bounded by the hello deadline), so they cannot lock a client out.
    pub max_sessions: usize,
    /// Connections waiting for their hello at once (at most
    /// [`MAX_PENDING`](crate::server::MAX_PENDING)). When they are all
    /// taken, a new connection evicts the oldest one silent for at least a
    /// second, or waits until one is.
    pub max_pending: usize,
    /// A greeted session with no subscription that sends no line (a
    /// request, a `ping`, anything) for this long is told `idle_timeout` and
    /// closed. 0 (the default) turns it off: a serial link or a device's
    /// few sockets keep today's behaviour; the std TCP accept loops turn it
    /// on. A subscriber is never closed for idleness.
    pub idle_timeout_ms: u64,
}

impl Default for Config<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Config<'a> {
    /// Read-only, no token, handshake 10 s, write 30 s, 64 sessions, 16
    /// waiting for their hello, no idle timeout.
    pub const fn new() -> Self {
        Config {
            name: concat!("aimx/", env!("CARGO_PKG_VERSION")),
            token: None,
            policy: Policy::ReadOnly,
            handshake_timeout_ms: 10_000,
            write_timeout_ms: 30_000,
            max_sessions: 64,
            max_pending: super::admit::MAX_PENDING,
            idle_timeout_ms: 0,
        }
    }

    /// The name sent in the welcome.
    pub const fn name(mut self, name: &'a str) -> Self {
        self.name = name;
        self
    }

    /// Require this token in every hello.
    pub const fn token(mut self, token: Token<'a>) -> Self {
        self.token = Some(token);
        self
    }

    /// Allow `record.set` on writable records.
    pub const fn read_write(mut self) -> Self {
        self.policy = Policy::ReadWrite;
        self
    }

    /// Refuse every `record.set`.
    pub const fn read_only(mut self) -> Self {
        self.policy = Policy::ReadOnly;
        self
    }

    /// How long a peer has to send its hello.
    pub const fn handshake_timeout_ms(mut self, ms: u64) -> Self {
        self.handshake_timeout_ms = ms;
        self
    }

    /// How long a pending write may wait for the peer to take any byte.
    pub const fn write_timeout_ms(mut self, ms: u64) -> Self {
        self.write_timeout_ms = ms;
        self
    }

    /// Sessions at once.
    pub const fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }

    /// Connections waiting for their hello at once (1 to 16).
    pub const fn max_pending(mut self, n: usize) -> Self {
        self.max_pending = n;
        self
    }

    /// How long a greeted session with no subscription may send nothing
    /// before it is closed (0: never).
    pub const fn idle_timeout_ms(mut self, ms: u64) -> Self {
        self.idle_timeout_ms = ms;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matches_only_itself_and_is_redacted() {
        let t = Token::new("s3cret");
        assert!(t.matches(b"s3cret"));
        for bad in [&b""[..], b"s3cre", b"s3cret!", b"S3cret", b"s3crets3cret"] {
            assert!(!t.matches(bad), "{bad:?}");
        }
        let shown = std::format!("{:?}", Config::new().token(t));
        assert!(!shown.contains("s3cret") && shown.contains("redacted"), "{shown}");
    }
}
