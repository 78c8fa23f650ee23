//! One line of input to a [`Message`]: a hello or a request.
//!
//! The line is first validated by [`scan::validate`] (so nesting is bounded),
//! its top-level members are found by span, and the typed parts are decoded
//! with `serde-json-core` (escapes in strings decode correctly). A request's
//! `record.set` value stays a raw span: the record decodes it into its type.

use heapless::String;
use serde::Deserialize;

use super::reply::ErrorCode;
use super::scan::{self, ScanError};

/// Longest record name accepted (bytes, after unescaping).
pub const NAME_MAX: usize = 64;
/// Longest auth token accepted in a hello (bytes, after unescaping).
pub const TOKEN_MAX: usize = 128;

/// A record name decoded from a request.
pub type Name = String<NAME_MAX>;

/// A line the server could not take, and how to answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    /// The request id when it could be read, else 0.
    pub id: u64,
    /// The error code to answer with.
    pub code: ErrorCode,
    /// A short human-readable reason.
    pub message: &'static str,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for ParseError {}

impl ParseError {
    const fn new(id: u64, code: ErrorCode, message: &'static str) -> Self {
        ParseError { id, code, message }
    }
}

/// A secret string whose `Debug` output never shows it.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String<TOKEN_MAX>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A client's hello, in either form (`{"version":…}` or `{"hello":{…}}`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the client speaks.
    pub version: Option<String<16>>,
    /// The client's name.
    pub client: Option<String<64>>,
    /// The auth token, if the client sent one.
    pub auth_token: Option<Secret>,
}

impl Hello {
    /// Whether the version is one this server speaks: `"1"` or `"1.x"`.
    pub fn version_ok(&self) -> bool {
        matches!(self.version.as_deref(), Some(v) if v == "1" || v.starts_with("1."))
    }
}

/// The methods of AimX v1 and this project's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Method {
    List,
    Get,
    Set,
    Subscribe,
    Unsubscribe,
    Ping,
    Stats,
    Drain,
    GraphNodes,
    GraphEdges,
    GraphTopoOrder,
}

impl Method {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "record.list" => Method::List,
            "record.get" => Method::Get,
            "record.set" => Method::Set,
            "record.subscribe" => Method::Subscribe,
            "record.unsubscribe" => Method::Unsubscribe,
            "ping" => Method::Ping,
            "server.stats" => Method::Stats,
            "record.drain" => Method::Drain,
            "graph.nodes" => Method::GraphNodes,
            "graph.edges" => Method::GraphEdges,
            "graph.topo_order" => Method::GraphTopoOrder,
            _ => return None,
        })
    }
}

/// The parameters the methods use; unknown ones are ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Params {
    /// Record name (the spec's form).
    pub name: Option<Name>,
    /// Record name (the form `aimdb-cli` sends for `record.get`).
    pub record: Option<Name>,
    /// `record.subscribe`: send the current value first (default true).
    pub send_initial: Option<bool>,
    /// `record.subscribe`: requested queue depth.
    pub queue_size: Option<u32>,
    /// `record.unsubscribe`: which subscription.
    pub subscription_id: Option<String<32>>,
    /// `record.drain`: the most values to return.
    pub limit: Option<u32>,
}

impl Params {
    /// The record name, from `name` or `record`.
    pub fn record_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.record.as_deref())
    }
}

/// A request: `{"id":…,"method":…,"params":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// Echoed in the reply.
    pub id: u64,
    /// What to do.
    pub method: Method,
    /// The decoded parameters (all absent when `params` was omitted).
    pub params: Params,
    /// The raw JSON of `params.value`, for `record.set`.
    pub value: Option<&'a [u8]>,
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// A hello: starts (or restarts) the session.
    Hello(Hello),
    /// A request.
    Request(Request<'a>),
}

/// Parses one line (without its newline). `Ok(None)` for a blank line.
///
/// The line is rewritten in place (escaped surrogate pairs become UTF-8, see
/// [`scan::fold_surrogate_pairs`]), so values borrowed from it decode.
pub fn parse(line: &mut [u8]) -> Result<Option<Message<'_>>, ParseError> {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    if core::str::from_utf8(line).is_err() {
        return Err(ParseError::new(0, ErrorCode::ParseError, "line is not valid UTF-8"));
    }
    match scan::validate(line) {
        Ok(()) => {}
        Err(ScanError::Invalid) => return Err(ParseError::new(0, ErrorCode::ParseError, "invalid JSON")),
        Err(ScanError::TooDeep) => return Err(ParseError::new(0, ErrorCode::ParseError, "JSON nested too deeply")),
    }
    let len = scan::fold_surrogate_pairs(line);
    let line = &line[..len];
    let members = scan::members(line).ok_or(ParseError::new(0, ErrorCode::ProtocolError, "expected a JSON object"))?;

    let (mut id, mut method, mut params, mut hello, mut version) = (None, None, None, None, None);
    for (key, value) in members {
        let slot = match () {
            _ if scan::key_eq(key, "id") => &mut id,
            _ if scan::key_eq(key, "method") => &mut method,
            _ if scan::key_eq(key, "params") => &mut params,
            _ if scan::key_eq(key, "hello") => &mut hello,
            _ if scan::key_eq(key, "version") => &mut version,
            _ => continue,
        };
        *slot = Some(value);
    }

    if let Some(hello) = hello {
        return parse_hello(hello).map(|h| Some(Message::Hello(h)));
    }
    if method.is_none() && version.is_some() {
        return parse_hello(line).map(|h| Some(Message::Hello(h)));
    }

    let id = match id {
        None => return Err(ParseError::new(0, ErrorCode::ProtocolError, "missing id")),
        Some(raw) => match plain_u64(raw) {
            Some(id) => id,
            None => serde_json_core::from_slice::<u64>(raw)
                .map(|(id, _)| id)
                .map_err(|_| ParseError::new(0, ErrorCode::ProtocolError, "id must be an unsigned integer"))?,
        },
    };
    let method = method.ok_or(ParseError::new(id, ErrorCode::ProtocolError, "missing method"))?;
    let mut scratch = [0u8; 64];
    let method = match plain_str(method) {
        Some(name) => Method::from_name(name),
        None => serde_json_core::from_slice_escaped::<String<32>>(method, &mut scratch)
            .ok()
            .and_then(|(name, _)| Method::from_name(&name)),
    }
    .ok_or(ParseError::new(id, ErrorCode::MethodNotFound, "unknown method"))?;

    let params_raw = params.filter(|p| *p != b"null");
    let (params, value) = match params_raw {
        None => (Params::default(), None),
        Some(raw) if raw.first() != Some(&b'{') => {
            return Err(ParseError::new(id, ErrorCode::InvalidParams, "params must be an object"))
        }
        Some(raw) => {
            let (params, _) = serde_json_core::from_slice_escaped::<Params>(raw, &mut scratch)
                .map_err(|_| ParseError::new(id, ErrorCode::InvalidParams, "params have the wrong types"))?;
            (params, scan::member(raw, "value"))
        }
    };
    Ok(Some(Message::Request(Request { id, method, params, value })))
}

/// A validated JSON number that is a plain unsigned integer (digits only,
/// no leading zero, fits a `u64`), read without serde; `None` for any other
/// form, which then takes the general path.
fn plain_u64(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 19 || (raw.len() > 1 && raw[0] == b'0') {
        return None;
    }
    raw.iter().try_fold(0u64, |n, &b| b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0')))
}

/// The text of a validated JSON string token without escapes, borrowed
/// as it is; `None` for anything else, which then takes the general path.
fn plain_str(raw: &[u8]) -> Option<&str> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        return None;
    }
    core::str::from_utf8(inner).ok()
}

fn parse_hello(raw: &[u8]) -> Result<Hello, ParseError> {
    if raw.first() != Some(&b'{') {
        return Err(ParseError::new(0, ErrorCode::ProtocolError, "hello must be an object"));
    }
    let mut scratch = [0u8; TOKEN_MAX];
    serde_json_core::from_slice_escaped::<Hello>(raw, &mut scratch)
        .map(|(hello, _)| hello)
        .map_err(|_| ParseError::new(0, ErrorCode::ProtocolError, "malformed hello"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Request<'static> {
        let line: &'static mut [u8] = std::boxed::Box::leak(line.as_bytes().into());
        match parse(line) {
            Ok(Some(Message::Request(r))) => r,
            other => panic!("{other:?}"),
        }
    }

    fn error(line: &[u8]) -> (u64, ErrorCode) {
        let e = parse(&mut line.to_vec()).unwrap_err();
        (e.id, e.code)
    }

    #[test]
    fn both_hello_forms() {
        let mut flat = br#"{"version":"1.0","client":"aimdb-cli"}"#.to_vec();
        let mut nested =
            br#"{"hello":{"version":"1.2","client":"x","capabilities":["read"],"auth_token":"s\u0033cret"}}"#.to_vec();
        let flat = parse(&mut flat).unwrap().unwrap();
        let nested = parse(&mut nested).unwrap().unwrap();
        let (Message::Hello(flat), Message::Hello(nested)) = (flat, nested) else { panic!() };
        assert!(flat.version_ok() && nested.version_ok());
        assert_eq!(nested.auth_token.as_ref().unwrap().0, "s3cret");
        assert!(!std::format!("{nested:?}").contains("s3cret"));
    }

    #[test]
    fn version_check() {
        for (v, ok) in [("1", true), ("1.0", true), ("1.7", true), ("2.0", false), ("10", false), ("", false)] {
            let hello = Hello { version: Some(v.try_into().unwrap()), ..Hello::default() };
            assert_eq!(hello.version_ok(), ok, "{v}");
        }
        assert!(!Hello::default().version_ok());
    }

    #[test]
    fn requests_decode_escapes_and_keep_value_spans() {
        let r = request(
            r#"{"id":3,"method":"record.set","params":{"name":"config.log\u005flevel","value":{"a":[1,"}"]}}}"#,
        );
        assert_eq!((r.id, r.method), (3, Method::Set));
        assert_eq!(r.params.record_name(), Some("config.log_level"));
        assert_eq!(r.value, Some(&br#"{"a":[1,"}"]}"#[..]));
        let r = request(r#"{"method":"record.get","id":9,"params":{"record":"a\"b"}}"#);
        assert_eq!(r.params.record_name(), Some("a\"b"));
        let r = request(r#"{"id":1,"method":"ping"}"#);
        assert_eq!((r.method, r.params, r.value), (Method::Ping, Params::default(), None));
    }

    #[test]
    fn bad_lines_get_the_right_codes() {
        assert_eq!(error(b"\xff\xfe"), (0, ErrorCode::ParseError));
        assert_eq!(error(b"{\"id\":1,"), (0, ErrorCode::ParseError));
        assert_eq!(error(b"[1,2]"), (0, ErrorCode::ProtocolError));
        assert_eq!(error(b"{\"method\":\"ping\"}"), (0, ErrorCode::ProtocolError));
        assert_eq!(error(b"{\"id\":-1,\"method\":\"ping\"}"), (0, ErrorCode::ProtocolError));
        assert_eq!(error(b"{\"id\":4}"), (4, ErrorCode::ProtocolError));
        assert_eq!(error(b"{\"id\":5,\"method\":\"nope\"}"), (5, ErrorCode::MethodNotFound));
        assert_eq!(error(b"{\"id\":6,\"method\":\"record.get\",\"params\":[]}"), (6, ErrorCode::InvalidParams));
        assert_eq!(
            error(b"{\"id\":7,\"method\":\"record.get\",\"params\":{\"name\":5}}"),
            (7, ErrorCode::InvalidParams)
        );
        assert_eq!(error(b"{\"hello\":{\"version\":2}}"), (0, ErrorCode::ProtocolError));
        assert!(matches!(parse(&mut b"  \t".to_vec()), Ok(None)));
    }

    #[test]
    fn shortcuts_read_the_plain_forms_and_leave_the_rest_to_serde() {
        assert_eq!(plain_u64(b"0"), Some(0));
        assert_eq!(plain_u64(b"1234567890123456789"), Some(1_234_567_890_123_456_789));
        for other in [&b"01"[..], b"-1", b"1.0", b"1e3", b"18446744073709551615", b""] {
            assert_eq!(plain_u64(other), None, "{other:?}");
        }
        assert_eq!(plain_str(br#""record.get""#), Some("record.get"));
        assert_eq!(plain_str(br#""record\u002eget""#), None);
        assert_eq!(plain_str(b"7"), None);
        // Whichever path reads them, the same requests come out.
        assert_eq!(request(r#"{"id":18446744073709551615,"method":"record\u002eget"}"#).id, u64::MAX);
        assert_eq!(request(r#"{"id":18446744073709551615,"method":"record\u002eget"}"#).method, Method::Get);
        assert_eq!(request(r#"{"id":0,"method":"ping"}"#).id, 0);
        assert_eq!(error(br#"{"id":1.5,"method":"ping"}"#), (0, ErrorCode::ProtocolError));
        assert_eq!(error(br#"{"id":-1,"method":"ping"}"#), (0, ErrorCode::ProtocolError));
        assert_eq!(error(br#"{"id":3,"method":"record.getx"}"#), (3, ErrorCode::MethodNotFound));
        assert_eq!(error(br#"{"id":3,"method":7}"#), (3, ErrorCode::MethodNotFound));
    }
}
