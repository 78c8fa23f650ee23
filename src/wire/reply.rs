//! Error codes and the envelopes of replies and events.

use super::out::{Full, JsonOut};
use crate::time::Timestamp;

/// Every error code of AimX v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorCode {
    ParseError,
    ProtocolError,
    LineTooLong,
    VersionMismatch,
    AuthRequired,
    AuthFailed,
    MethodNotFound,
    InvalidParams,
    NotFound,
    NoValue,
    PermissionDenied,
    ValidationError,
    TooManySubscriptions,
    TooManySessions,
    InternalError,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "parse_error",
            ErrorCode::ProtocolError => "protocol_error",
            ErrorCode::LineTooLong => "line_too_long",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::AuthRequired => "auth_required",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::MethodNotFound => "method_not_found",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NoValue => "no_value",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::TooManySubscriptions => "too_many_subscriptions",
            ErrorCode::TooManySessions => "too_many_sessions",
            ErrorCode::InternalError => "internal_error",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"id":ID,"error":{"code":…,"message":…}}` and a newline; with `id`
/// `None` the bare refusal form `{"error":{…}}`.
pub fn error(
    out: &mut JsonOut,
    id: Option<u64>,
    code: ErrorCode,
    message: impl FnOnce(&mut JsonOut) -> Result<(), Full>,
) -> Result<(), Full> {
    out.raw(b"{")?;
    if let Some(id) = id {
        out.raw(b"\"id\":")?;
        out.u64(id)?;
        out.raw(b",")?;
    }
    out.raw(b"\"error\":{\"code\":\"")?;
    out.raw(code.as_str().as_bytes())?;
    out.raw(b"\",\"message\":")?;
    message(out)?;
    out.raw(b"}}\n")
}

/// The start of a successful reply: `{"id":ID,"result":`.
pub fn result_start(out: &mut JsonOut, id: u64) -> Result<(), Full> {
    out.raw(b"{\"id\":")?;
    out.u64(id)?;
    out.raw(b",\"result\":")
}

/// The end of a successful reply.
pub fn result_end(out: &mut JsonOut) -> Result<(), Full> {
    out.raw(b"}\n")
}

/// A subscription id as the wire spells it: `sub-N`.
pub fn subscription_id(out: &mut JsonOut, id: u32) -> Result<(), Full> {
    out.raw(b"\"sub-")?;
    out.u64(id.into())?;
    out.raw(b"\"")
}

/// The `N` of a subscription id spelled exactly as [`subscription_id`]
/// writes it: `sub-` and decimal digits, no sign, no leading zero.
pub fn parse_subscription_id(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("sub-")?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    if canonical {
        digits.parse().ok()
    } else {
        None
    }
}

/// The head of an event, up to and including `"data":`.
pub fn event_start(out: &mut JsonOut, sub: u32, sequence: u64) -> Result<(), Full> {
    out.raw(b"{\"event\":{\"subscription_id\":")?;
    subscription_id(out, sub)?;
    out.raw(b",\"sequence\":")?;
    out.u64(sequence)?;
    out.raw(b",\"data\":")
}

/// The tail of an event: timestamp, `dropped` when non-zero, newline.
pub fn event_end(out: &mut JsonOut, timestamp: Timestamp, dropped: u64) -> Result<(), Full> {
    out.raw(b",\"timestamp\":")?;
    out.timestamp(timestamp)?;
    if dropped > 0 {
        out.raw(b",\"dropped\":")?;
        out.u64(dropped)?;
    }
    out.raw(b"}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_error_and_event() {
        let mut buf = [0u8; 256];
        let mut out = JsonOut::new(&mut buf);
        error(&mut out, Some(2), ErrorCode::NotFound, |o| o.str("record 'x' not found")).unwrap();
        error(&mut out, None, ErrorCode::AuthFailed, |o| o.str("invalid auth token")).unwrap();
        event_start(&mut out, 1, 12).unwrap();
        out.raw(b"{\"celsius\":21.7}").unwrap();
        event_end(&mut out, Timestamp::from_millis(36_500), 4).unwrap();
        assert_eq!(
            core::str::from_utf8(out.as_bytes()).unwrap(),
            concat!(
                "{\"id\":2,\"error\":{\"code\":\"not_found\",\"message\":\"record 'x' not found\"}}\n",
                "{\"error\":{\"code\":\"auth_failed\",\"message\":\"invalid auth token\"}}\n",
                "{\"event\":{\"subscription_id\":\"sub-1\",\"sequence\":12,\"data\":{\"celsius\":21.7},",
                "\"timestamp\":\"36.500000000\",\"dropped\":4}}\n",
            )
        );
    }
}
