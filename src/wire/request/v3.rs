//! The v3 frames in: a `"t"`-tagged object becomes the same [`Request`]
//! (or [`Hello`]) a v1 line does, so one dispatch serves both generations.
//!
//! | frame | becomes |
//! |---|---|
//! | `{"t":"req","id":N,"method":M,"params":P}` | method `M` (`hello`: a [`Hello`]) |
//! | `{"t":"sub","id":N,"topic":K}` | `record.subscribe` of `K` (a key or a pattern; optional `max_rate_hz` or `min_interval_ms` as in v1) |
//! | `{"t":"unsub","sub":"N"}` | `record.unsubscribe`, never answered |
//! | `{"t":"write","topic":K,"payload":V}` | `record.set`, never answered |
//! | `{"t":"ping"}` | `ping`, answered with `pong` |

use super::{fits, parse_hello, parse_params, Frame, Message, Method, Params, ParseError, Request, Top};
use crate::wire::number::Fixed;
use crate::wire::scan;
use crate::wire::value::de::Deserializer;
use crate::wire::ErrorCode;

/// The top-level members only v3 frames have, as raw spans.
#[derive(Default)]
pub(super) struct Members<'a> {
    pub(super) t: Option<&'a mut [u8]>,
    pub(super) topic: Option<&'a mut [u8]>,
    pub(super) sub: Option<&'a mut [u8]>,
    pub(super) payload: Option<&'a mut [u8]>,
    /// A `sub`'s rate limit, as v1's `record.subscribe` params.
    pub(super) max_rate_hz: Option<&'a mut [u8]>,
    pub(super) min_interval_ms: Option<&'a mut [u8]>,
}

fn text(raw: Option<&mut [u8]>) -> Option<&str> {
    raw.and_then(|raw| Deserializer::new(raw, false).str().ok())
}

pub(super) fn parse(top: Top<'_>) -> Result<Message<'_>, ParseError> {
    let Top { id, method, params, v3, kept, .. } = top;
    // An id that is present but not a u64 (`"21"`) is no id: the frame is
    // skipped, as AimDB does, rather than answered under a guessed id.
    let id = match id {
        None => None,
        Some(raw) => match Deserializer::new(raw, false).u64() {
            Ok(id) => Some(id),
            Err(_) => return Err(ParseError::v3(None, ErrorCode::ProtocolError, "id must be an unsigned integer")),
        },
    };
    let no_id = |message| ParseError::v3(id, ErrorCode::ProtocolError, message);
    let Some(t) = text(v3.t) else { return Err(no_id("t must be a string")) };
    let request = |id, method, params, value, frame| Ok(Message::Request(Request { id, method, params, value, frame }));
    match t {
        "req" => {
            let id = id.ok_or(no_id("req without an id"))?;
            let Some(method) = text(method) else {
                return Err(ParseError::v3(Some(id), ErrorCode::ProtocolError, "req without a method"));
            };
            if method == "hello" {
                let mut hello = super::Hello::default();
                if let Some(raw) = params.filter(|raw| **raw != *b"null") {
                    parse_hello(raw, &mut hello).map_err(|e| ParseError::v3(Some(id), e.code, e.message))?;
                }
                hello.v3_id = Some(id);
                return Ok(Message::Hello(hello));
            }
            let method = Method::from_name(method.as_bytes()).ok_or(ParseError::v3(
                Some(id),
                ErrorCode::MethodNotFound,
                "unknown method",
            ))?;
            let (params, value) =
                parse_params(id, params, kept).map_err(|e| ParseError::v3(Some(id), e.code, e.message))?;
            request(id, method, params, value, Frame::Req)
        }
        "sub" => {
            let id = id.ok_or(no_id("sub without an id"))?;
            let topic =
                text(v3.topic).ok_or(ParseError::v3(Some(id), ErrorCode::InvalidParams, "sub needs a topic"))?;
            let name = fits(topic, super::NAME_MAX)
                .map_err(|_| ParseError::v3(Some(id), ErrorCode::InvalidParams, "topic too long"))?;
            let rate = |raw: Option<&mut [u8]>, decimals| match raw {
                None => Ok(None),
                Some(raw) => Fixed::parse(raw, decimals).map(Some).ok_or(ParseError::v3(
                    Some(id),
                    ErrorCode::InvalidParams,
                    "a rate limit must be a number",
                )),
            };
            let params = Params {
                name: Some(name),
                max_rate_hz: rate(v3.max_rate_hz, 6)?,
                min_interval_ms: rate(v3.min_interval_ms, 0)?,
                ..Params::default()
            };
            request(id, Method::Subscribe, params, None, Frame::Sub)
        }
        "unsub" => {
            let sub = text(v3.sub).and_then(|s| fits(s, 32).ok()).ok_or(no_id("unsub needs a sub string"))?;
            let params = Params { subscription_id: Some(sub), ..Params::default() };
            request(0, Method::Unsubscribe, params, None, Frame::Unsub)
        }
        "write" => {
            let topic =
                text(v3.topic).and_then(|s| fits(s, super::NAME_MAX).ok()).ok_or(no_id("write needs a topic"))?;
            let payload = v3.payload.ok_or(no_id("write needs a payload"))?;
            let params = Params { name: Some(topic), ..Params::default() };
            request(0, Method::Set, params, Some(unwrap_value(payload)), Frame::Write)
        }
        "ping" => request(id.unwrap_or(0), Method::Ping, Params::default(), None, Frame::Ping),
        _ => Err(no_id("unknown frame type")),
    }
}

/// A `write` payload `{"value":V}` (that one member, spelled plainly) is
/// `V`; any other payload is the value itself. Found without unescaping, so
/// the payload is untouched when it is used whole.
fn unwrap_value(payload: &mut [u8]) -> &mut [u8] {
    let ws = |s: &[u8], mut i: usize| {
        while s.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    let s: &[u8] = payload;
    let mut i = ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return payload;
    }
    i = ws(s, i + 1);
    if !s[i..].starts_with(b"\"value\"") {
        return payload;
    }
    i = ws(s, i + 7);
    if s.get(i) != Some(&b':') {
        return payload;
    }
    let start = ws(s, i + 1);
    let end = start + scan::value_end(&s[start..], 0);
    let close = ws(s, end);
    if s.get(close) == Some(&b'}') && ws(s, close + 1) == s.len() {
        &mut payload[start..end]
    } else {
        payload
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, Hello};
    use super::*;

    fn msg(line: &str) -> Result<Option<Message<'static>>, ParseError> {
        let line: &'static mut [u8] = std::boxed::Box::leak(line.as_bytes().into());
        parse(line)
    }

    fn req(line: &str) -> Request<'static> {
        match msg(line) {
            Ok(Some(Message::Request(r))) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_frame_kind() {
        let Ok(Some(Message::Hello(h))) =
            msg(r#"{"t":"req","id":1,"method":"hello","params":{"client":"c","version":"3.0","auth_token":"k"}}"#)
        else {
            panic!()
        };
        assert_eq!((h.v3_id, h.version.as_deref(), h.auth_token.unwrap().0.as_str()), (Some(1), Some("3.0"), "k"));
        let r = req(r#"{"t":"req","id":9007199254740993,"method":"record.get","params":{"name":"a.b"}}"#);
        assert_eq!(
            (r.id, r.method, r.frame, r.params.record_name()),
            (9007199254740993, Method::Get, Frame::Req, Some("a.b"))
        );
        let r = req(r#"{"t":"sub","id":2,"topic":"sensor.#"}"#);
        assert_eq!(
            (r.id, r.method, r.frame, r.params.record_name()),
            (2, Method::Subscribe, Frame::Sub, Some("sensor.#"))
        );
        let r = req(r#"{"t":"unsub","sub":"2"}"#);
        assert_eq!((r.method, r.frame, r.params.subscription_id), (Method::Unsubscribe, Frame::Unsub, Some("2")));
        let r = req(r#"{"t":"ping","id":99}"#);
        assert_eq!((r.method, r.frame), (Method::Ping, Frame::Ping));
    }

    #[test]
    fn write_unwraps_only_a_lone_value_member() {
        let r = req(r#"{"t":"write","topic":"a","payload":{"value":{"x":1}}}"#);
        assert_eq!((r.method, r.frame), (Method::Set, Frame::Write));
        assert_eq!(r.value.as_deref(), Some(&br#"{"x":1}"#[..]));
        let r = req(r#"{"t":"write","topic":"a","payload":{ "value" : 5 }}"#);
        assert_eq!(r.value.as_deref(), Some(&b"5"[..]));
        let r = req(r#"{"t":"write","topic":"a","payload":{"value":1,"unit":"C"}}"#);
        assert_eq!(r.value.as_deref(), Some(&br#"{"value":1,"unit":"C"}"#[..]));
        let r = req(r#"{"t":"write","topic":"a","payload":"info"}"#);
        assert_eq!(r.value.as_deref(), Some(&br#""info""#[..]));
    }

    #[test]
    fn malformed_frames_carry_the_id_when_there_is_one() {
        let e = |line: &str| msg(line).map(|_| ()).unwrap_err();
        for bad in [
            r#"{"t":"bogus"}"#,
            r#"{"t":"req","method":"record.list"}"#,
            r#"{"t":"req","id":"21","method":"x"}"#,
            r#"{"t":5}"#,
            r#"{"t":"write","topic":"a"}"#,
            r#"{"t":"unsub"}"#,
        ] {
            let e = e(bad);
            assert!(!e.has_id && e.wire.is_v3(), "{bad}");
        }
        let e = e(r#"{"t":"sub","id":22}"#);
        assert_eq!((e.id, e.has_id, e.code), (22, true, ErrorCode::InvalidParams));
        let e = msg(r#"{"t":"req","id":3,"method":"no.such"}"#).map(|_| ()).unwrap_err();
        assert_eq!((e.id, e.has_id, e.code), (3, true, ErrorCode::MethodNotFound));
        let e = msg(r#"{"t":"bogus","id":20}"#).map(|_| ()).unwrap_err();
        assert_eq!((e.id, e.has_id), (20, true));
    }

    #[test]
    fn v3_versions_are_major_3() {
        for (v, ok) in
            [("3", true), ("3.0", true), ("3.7", true), ("30", false), ("2.0", false), ("1.0", false), ("", false)]
        {
            let hello = Hello { version: Some(v.try_into().unwrap()), v3_id: Some(1), ..Hello::default() };
            assert_eq!(hello.version_ok(), ok, "{v}");
        }
    }
}
