//! Typed errors: what the server said, and what went wrong on the way.

use std::fmt;
use std::io;
use std::time::Duration;

/// An AimX v1 error code, as sent in `{"error":{"code":…}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `parse_error`: the server could not read a line.
    ParseError,
    /// `protocol_error`: e.g. a request before the hello.
    ProtocolError,
    /// `line_too_long`: a request exceeded the server's line limit.
    LineTooLong,
    /// `version_mismatch`: the server does not speak 1.x.
    VersionMismatch,
    /// `auth_required`: the server needs a token and none was given.
    AuthRequired,
    /// `auth_failed`: the token was wrong.
    AuthFailed,
    /// `method_not_found`.
    MethodNotFound,
    /// `invalid_params`.
    InvalidParams,
    /// `not_found`: no such record or subscription.
    NotFound,
    /// `no_value`: the record holds no value yet.
    NoValue,
    /// `permission_denied`: read-only server or record not writable.
    PermissionDenied,
    /// `validation_error`: the value does not fit the record's type.
    ValidationError,
    /// `too_many_subscriptions`.
    TooManySubscriptions,
    /// `too_many_sessions`.
    TooManySessions,
    /// `idle_timeout`: the session sent nothing for the server's idle
    /// timeout and was closed.
    IdleTimeout,
    /// `internal_error`.
    InternalError,
    /// A code this client does not know.
    Other(String),
}

const CODES: [(&str, ErrorCode); 16] = [
    ("parse_error", ErrorCode::ParseError),
    ("protocol_error", ErrorCode::ProtocolError),
    ("line_too_long", ErrorCode::LineTooLong),
    ("version_mismatch", ErrorCode::VersionMismatch),
    ("auth_required", ErrorCode::AuthRequired),
    ("auth_failed", ErrorCode::AuthFailed),
    ("method_not_found", ErrorCode::MethodNotFound),
    ("invalid_params", ErrorCode::InvalidParams),
    ("not_found", ErrorCode::NotFound),
    ("no_value", ErrorCode::NoValue),
    ("permission_denied", ErrorCode::PermissionDenied),
    ("validation_error", ErrorCode::ValidationError),
    ("too_many_subscriptions", ErrorCode::TooManySubscriptions),
    ("too_many_sessions", ErrorCode::TooManySessions),
    ("idle_timeout", ErrorCode::IdleTimeout),
    ("internal_error", ErrorCode::InternalError),
];

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn parse(code: &str) -> Self {
        CODES.iter().find(|(s, _)| *s == code).map_or_else(|| ErrorCode::Other(code.to_owned()), |(_, c)| c.clone())
    }

    /// The wire spelling, e.g. `"not_found"`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(s) => s,
            known => CODES.iter().find(|(_, c)| c == known).map_or("unknown", |(s, _)| s),
        }
    }
}

/// An error object sent by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// What kind of error.
    pub code: ErrorCode,
    /// The server's human-readable explanation.
    pub message: String,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// Everything a client call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Connecting, reading or writing failed.
    Io(io::Error),
    /// No answer in time.
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The connection is gone (the reason is in the text).
    Closed(String),
    /// The server refused the handshake (`auth_failed`, `auth_required`,
    /// `version_mismatch`, `too_many_sessions`, …) and closed the session.
    Rejected(ServerError),
    /// The server answered a request with an error.
    Server(ServerError),
    /// The server sent something this client cannot make sense of.
    Protocol(String),
    /// The peer answered the hello with something that is not AimX (an
    /// HTTP server, a shell, another protocol).
    NotAimx {
        /// Who answered, e.g. `127.0.0.1:8000`.
        peer: String,
        /// The start of the first line it sent.
        seen: String,
    },
}

impl Error {
    /// The server's error code, for [`Error::Server`] and [`Error::Rejected`].
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Server(e) | Error::Rejected(e) => Some(&e.code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Timeout { what, after } => write!(f, "timed out after {after:?} waiting for {what}"),
            Error::Closed(why) => write!(f, "connection closed: {why}"),
            Error::Rejected(e) | Error::Server(e) => write!(f, "{e}"),
            Error::Protocol(why) => write!(f, "protocol error: {why}"),
            Error::NotAimx { peer, seen } => write!(f, "{peer} answered `{seen}`, which is not AimX"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (s, c) in CODES.iter() {
            assert_eq!(ErrorCode::parse(s), *c);
            assert_eq!(c.as_str(), *s);
        }
        assert_eq!(ErrorCode::parse("brand_new"), ErrorCode::Other("brand_new".into()));
        assert_eq!(ErrorCode::parse("brand_new").as_str(), "brand_new");
    }

    #[test]
    fn server_error_prints_code_then_message() {
        let e = Error::Server(ServerError { code: ErrorCode::NotFound, message: "record 'x' not found".into() });
        assert_eq!(e.to_string(), "not_found: record 'x' not found");
        assert_eq!(e.code(), Some(&ErrorCode::NotFound));
    }
}
