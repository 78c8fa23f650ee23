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
    IdleTimeout,
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
            ErrorCode::IdleTimeout => "idle_timeout",
            ErrorCode::InternalError => "internal_error",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// The v3 code this one is reported as (v3 has only four); our own code
    /// and message travel beside it as extra members v3 clients ignore.
    pub const fn v3(self) -> &'static str {
        match self {
            ErrorCode::NotFound | ErrorCode::NoValue | ErrorCode::MethodNotFound => "not_found",
            ErrorCode::PermissionDenied
            | ErrorCode::AuthRequired
            | ErrorCode::AuthFailed
            | ErrorCode::TooManySubscriptions
            | ErrorCode::TooManySessions
            | ErrorCode::IdleTimeout => "denied",
            ErrorCode::VersionMismatch => "version_mismatch",
            _ => "internal",
        }
    }
}

/// Which AimX generation a session speaks: the envelopes differ, the
/// results inside them do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wire {
    /// AimX v1: `{"id":…,"result":…}`, `{"event":{…}}`.
    #[default]
    V1,
    /// AimX v3: `{"t":"reply","id":…,"ok":…}`, `{"t":"event",…}`.
    V3,
}

impl Wire {
    /// Whether this is v3; always false when the `v3` feature is off, so
    /// the v3 branches compile away.
    #[inline(always)]
    pub const fn is_v3(self) -> bool {
        cfg!(feature = "v3") && matches!(self, Wire::V3)
    }
}

/// `{"id":ID,"error":{"code":…,"message":…}}` and a newline; with `id`
/// `None` the bare refusal form `{"error":{…}}`. In v3:
/// `{"t":"reply","id":ID,"err":V3CODE,"code":…,"message":…}` (no `id` when
/// none is known: v3 clients skip it, a human still reads why).
pub fn error(
    out: &mut JsonOut,
    wire: Wire,
    id: Option<u64>,
    code: ErrorCode,
    message: impl FnOnce(&mut JsonOut) -> Result<(), Full>,
) -> Result<(), Full> {
    if wire.is_v3() {
        out.raw(b"{\"t\":\"reply\",")?;
        if let Some(id) = id {
            out.raw(b"\"id\":")?;
            out.u64(id)?;
            out.raw(b",")?;
        }
        out.raw(b"\"err\":\"")?;
        out.raw(code.v3().as_bytes())?;
        out.raw(b"\",\"code\":\"")?;
        out.raw(code.as_str().as_bytes())?;
        out.raw(b"\",\"message\":")?;
        message(out)?;
        return out.raw(b"}\n");
    }
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

/// The start of a successful reply: `{"id":ID,"result":` (v3:
/// `{"t":"reply","id":ID,"ok":`; the result written after it is never
/// `null`, which v3 clients cannot read).
///
/// Inlined on 64-bit hosts, where the three parts go in with one room
/// check (issue 11: every reply starts with it).
#[cfg_attr(target_pointer_width = "64", inline)]
pub fn result_start(out: &mut JsonOut, wire: Wire, id: u64) -> Result<(), Full> {
    const V1: (&[u8], &[u8]) = (b"{\"id\":", b",\"result\":");
    const V3: (&[u8], &[u8]) = (b"{\"t\":\"reply\",\"id\":", b",\"ok\":");
    // Two calls, not one of the pair picked: each copies constants (no
    // `memcpy` of a length known only at run time).
    #[cfg(target_pointer_width = "64")]
    return match wire.is_v3() {
        true => out.u64_between(V3.0, id, V3.1),
        false => out.u64_between(V1.0, id, V1.1),
    };
    #[cfg(not(target_pointer_width = "64"))]
    {
        let (open, close) = if wire.is_v3() { V3 } else { V1 };
        out.raw(open)?;
        out.u64(id)?;
        out.raw(close)
    }
}

/// The end of a successful reply.
#[cfg_attr(target_pointer_width = "64", inline)]
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
    let digits = s.strip_prefix("sub-")?.as_bytes();
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    // Not `str::parse`: its general integer parser costs flash on an MCU.
    digits.iter().try_fold(0u32, |n, &b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u32::from(b - b'0')),
        _ => None,
    })
}

/// How a v3 update frame is tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update<'a> {
    /// A live value of an exact-key subscription (no `topic`).
    Event,
    /// A live value of a wildcard subscription, from this record.
    Tagged(&'a str),
    /// A late-join snapshot of this record; `true` on the burst's last.
    Snap(&'a str, bool),
}

/// The head of an event, up to and including `"data":`. In v3 `sub` is the
/// subscription's request id, written as a string, and `how` tags it.
pub fn event_start(out: &mut JsonOut, wire: Wire, sub: u64, sequence: u64, how: Update) -> Result<(), Full> {
    if wire.is_v3() {
        out.raw(if matches!(how, Update::Snap(..)) {
            b"{\"t\":\"snap\",\"sub\":\""
        } else {
            b"{\"t\":\"event\",\"sub\":\""
        })?;
        out.u64(sub)?;
        out.raw(b"\",\"seq\":")?;
        out.u64(sequence)?;
        if let Update::Tagged(topic) | Update::Snap(topic, _) = how {
            out.raw(b",\"topic\":")?;
            out.str(topic)?;
        }
        if let Update::Snap(_, true) = how {
            out.raw(b",\"last\":true")?;
        }
        return out.raw(b",\"data\":");
    }
    // Hosts: two numbers each between constants, one room check each
    // (issue 11: once per event per subscriber).
    #[cfg(target_pointer_width = "64")]
    {
        out.u64_between(b"{\"event\":{\"subscription_id\":\"sub-", (sub as u32).into(), b"\",\"sequence\":")?;
        out.u64_between(b"", sequence, b",\"data\":")
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        out.raw(b"{\"event\":{\"subscription_id\":")?;
        subscription_id(out, sub as u32)?;
        out.raw(b",\"sequence\":")?;
        out.u64(sequence)?;
        out.raw(b",\"data\":")
    }
}

/// The tail of an event: timestamp, `dropped` and `coalesced` when
/// non-zero, newline (v3: the same members, optional ones a v3 client
/// ignores).
pub fn event_end(
    out: &mut JsonOut,
    wire: Wire,
    timestamp: Timestamp,
    dropped: u64,
    coalesced: u64,
) -> Result<(), Full> {
    stamp_member(out, timestamp)?;
    event_close(out, wire, dropped, coalesced)
}

/// An event's `,"timestamp":"secs.nanos"` member: on 64-bit hosts a
/// record keeps it with the value's JSON, written once for all the
/// subscribers of that value (see `AnyRecord::write_next_stamped`).
/// On MCUs only [`event_end`] calls it: one function there.
#[cfg_attr(not(target_pointer_width = "64"), inline(always))]
pub(crate) fn stamp_member(out: &mut JsonOut, timestamp: Timestamp) -> Result<(), Full> {
    out.raw(b",\"timestamp\":")?;
    out.timestamp(timestamp)
}

/// What follows an event's timestamp: `dropped` and `coalesced` when
/// non-zero, the closing braces, newline.
#[cfg_attr(not(target_pointer_width = "64"), inline(always))]
pub(crate) fn event_close(out: &mut JsonOut, wire: Wire, dropped: u64, coalesced: u64) -> Result<(), Full> {
    if dropped > 0 {
        out.raw(b",\"dropped\":")?;
        out.u64(dropped)?;
    }
    if coalesced > 0 {
        out.raw(b",\"coalesced\":")?;
        out.u64(coalesced)?;
    }
    out.raw(if wire.is_v3() { b"}\n" } else { b"}}\n" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_heads_at_every_digit_count() {
        for sub in [0u64, 1, 9, 10, 99, 12_345, u64::from(u32::MAX)] {
            for seq in [0u64, 1, 9, 10, 99, 100, 1_000_000_007, u64::MAX] {
                let mut buf = [0u8; 128];
                let mut out = JsonOut::new(&mut buf);
                event_start(&mut out, Wire::V1, sub, seq, Update::Event).unwrap();
                let want = std::format!("{{\"event\":{{\"subscription_id\":\"sub-{sub}\",\"sequence\":{seq},\"data\":");
                assert_eq!(core::str::from_utf8(out.as_bytes()).unwrap(), want);
                // Too small: refused.
                let mut buf = [0u8; 128];
                let mut out = JsonOut::new(&mut buf[..want.len() - 1]);
                assert_eq!(event_start(&mut out, Wire::V1, sub, seq, Update::Event), Err(Full));
            }
        }
    }

    #[test]
    fn subscription_ids_are_read_only_as_written() {
        for (text, id) in [("sub-0", Some(0)), ("sub-7", Some(7)), ("sub-4294967295", Some(u32::MAX))] {
            assert_eq!(parse_subscription_id(text), id, "{text}");
        }
        for text in [
            "sub-",
            "sub-01",
            "sub-+1",
            "sub--1",
            "sub- 1",
            "sub-1 ",
            "SUB-1",
            "1",
            "sub-4294967296",
            "sub-99999999999",
        ] {
            assert_eq!(parse_subscription_id(text), None, "{text}");
        }
    }

    #[test]
    fn golden_error_and_event() {
        let mut buf = [0u8; 512];
        let mut out = JsonOut::new(&mut buf);
        error(&mut out, Wire::V1, Some(2), ErrorCode::NotFound, |o| o.str("record 'x' not found")).unwrap();
        error(&mut out, Wire::V1, None, ErrorCode::AuthFailed, |o| o.str("invalid auth token")).unwrap();
        event_start(&mut out, Wire::V1, 1, 12, Update::Event).unwrap();
        out.raw(b"{\"celsius\":21.7}").unwrap();
        event_end(&mut out, Wire::V1, Timestamp::from_millis(36_500), 4, 0).unwrap();
        event_start(&mut out, Wire::V1, 2, 3, Update::Event).unwrap();
        out.raw(b"7").unwrap();
        event_end(&mut out, Wire::V1, Timestamp::from_millis(1), 0, 9).unwrap();
        assert_eq!(
            core::str::from_utf8(out.as_bytes()).unwrap(),
            concat!(
                "{\"id\":2,\"error\":{\"code\":\"not_found\",\"message\":\"record 'x' not found\"}}\n",
                "{\"error\":{\"code\":\"auth_failed\",\"message\":\"invalid auth token\"}}\n",
                "{\"event\":{\"subscription_id\":\"sub-1\",\"sequence\":12,\"data\":{\"celsius\":21.7},",
                "\"timestamp\":\"36.500000000\",\"dropped\":4}}\n",
                "{\"event\":{\"subscription_id\":\"sub-2\",\"sequence\":3,\"data\":7,",
                "\"timestamp\":\"0.001000000\",\"coalesced\":9}}\n",
            )
        );
    }

    #[cfg(feature = "v3")]
    #[test]
    fn golden_v3_frames() {
        let mut buf = [0u8; 512];
        let mut out = JsonOut::new(&mut buf);
        error(&mut out, Wire::V3, Some(2), ErrorCode::NoValue, |o| o.str("no value")).unwrap();
        result_start(&mut out, Wire::V3, 3).unwrap();
        out.raw(b"true").unwrap();
        result_end(&mut out).unwrap();
        event_start(&mut out, Wire::V3, 7, 1, Update::Snap("a.b", true)).unwrap();
        out.raw(b"1").unwrap();
        event_end(&mut out, Wire::V3, Timestamp::from_millis(1), 0, 0).unwrap();
        event_start(&mut out, Wire::V3, 7, 4, Update::Tagged("a.b")).unwrap();
        out.raw(b"2").unwrap();
        event_end(&mut out, Wire::V3, Timestamp::from_millis(2), 1, 0).unwrap();
        assert_eq!(
            core::str::from_utf8(out.as_bytes()).unwrap(),
            concat!(
                "{\"t\":\"reply\",\"id\":2,\"err\":\"not_found\",\"code\":\"no_value\",\"message\":\"no value\"}\n",
                "{\"t\":\"reply\",\"id\":3,\"ok\":true}\n",
                "{\"t\":\"snap\",\"sub\":\"7\",\"seq\":1,\"topic\":\"a.b\",\"last\":true,\"data\":1,\"timestamp\":\"0.001000000\"}\n",
                "{\"t\":\"event\",\"sub\":\"7\",\"seq\":4,\"topic\":\"a.b\",\"data\":2,\"timestamp\":\"0.002000000\",\"dropped\":1}\n",
            )
        );
    }
}
