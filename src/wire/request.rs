//! One line of input to a [`Message`]: a hello or a request.
//!
//! The line is first validated by [`scan::validate`] (so nesting is bounded),
//! then decoded by hand with the [`Deserializer`]'s primitives: its members
//! are found in any order, unknown ones skipped whatever their size, and
//! strings unescaped in place (escaped surrogate pairs included), so a
//! string is bounded only by the line. A request's `record.set` value stays
//! a raw span of the line: the record decodes it into its type.

use heapless::String;

use super::number::Fixed;
use super::reply::{ErrorCode, Wire};
use super::scan::{self, ScanError};
use super::value::de::{DeError, Deserializer};

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
    /// The generation of the frame (a v3 frame is tagged `"t"`).
    pub wire: Wire,
    /// Whether `id` was read from the frame (v3 answers only those).
    pub has_id: bool,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for ParseError {}

impl ParseError {
    const fn new(id: u64, code: ErrorCode, message: &'static str) -> Self {
        ParseError { id, code, message, wire: Wire::V1, has_id: id != 0 }
    }

    /// An error in a v3 frame; `id` when one was read.
    #[cfg(feature = "v3")]
    const fn v3(id: Option<u64>, code: ErrorCode, message: &'static str) -> Self {
        let (id, has_id) = match id {
            Some(id) => (id, true),
            None => (0, false),
        };
        ParseError { id, code, message, wire: Wire::V3, has_id }
    }
}

/// A secret string whose `Debug` output never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String<TOKEN_MAX>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A client's hello, in either form (`{"version":…}` or `{"hello":{…}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the client speaks.
    pub version: Option<String<16>>,
    /// The client's name.
    pub client: Option<String<64>>,
    /// The auth token, if the client sent one.
    pub auth_token: Option<Secret>,
    /// An `auth_token` was sent that cannot be a token (not a string, or
    /// over [`TOKEN_MAX`] bytes): answered like a wrong token.
    pub token_unusable: bool,
    /// A v3 hello (`{"t":"req","method":"hello",…}`): its request id.
    #[cfg(feature = "v3")]
    pub v3_id: Option<u64>,
}

impl Hello {
    /// Whether the version is one this server speaks: `"1"` or `"1.x"`
    /// (a v3 hello: `"3"` or `"3.x"`).
    pub fn version_ok(&self) -> bool {
        let major = if self.v3_id().is_some() { b'3' } else { b'1' };
        matches!(self.version.as_deref().map(str::as_bytes), Some([m, rest @ ..]) if *m == major && matches!(rest, [] | [b'.', ..]))
    }

    /// The request id of a v3 hello; `None` for a v1 one.
    pub fn v3_id(&self) -> Option<u64> {
        #[cfg(feature = "v3")]
        return self.v3_id;
        #[cfg(not(feature = "v3"))]
        None
    }
}

/// What kind of frame a request came in (v1 has only requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Frame {
    /// A v1 request line.
    #[default]
    V1,
    /// v3 `req`: a call, answered with a `reply`.
    Req,
    /// v3 `sub`: the id names the subscription; refused with a `reply`.
    Sub,
    /// v3 `unsub`: never answered.
    Unsub,
    /// v3 `write`: a `record.set` that is never answered.
    Write,
    /// v3 `ping`: answered with `pong`.
    Ping,
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
    Schema,
    GraphNodes,
    GraphEdges,
    GraphTopoOrder,
    #[cfg(feature = "v3")]
    Query,
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
            "record.schema" => Method::Schema,
            "graph.nodes" => Method::GraphNodes,
            "graph.edges" => Method::GraphEdges,
            "graph.topo_order" => Method::GraphTopoOrder,
            #[cfg(feature = "v3")]
            "record.query" => Method::Query,
            _ => return None,
        })
    }
}

/// The parameters the methods use; unknown ones are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// `record.subscribe`: at most this many events a second (may be
    /// fractional), in millionths of a hertz; checked, with
    /// `min_interval_ms`, when subscribing.
    pub max_rate_hz: Option<Fixed>,
    /// `record.subscribe`: at least this many milliseconds between events
    /// (the same limit as `max_rate_hz`, stated the other way).
    pub min_interval_ms: Option<Fixed>,
}

impl Params {
    /// The record name, from `name` or `record`.
    pub fn record_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.record.as_deref())
    }
}

/// A request: `{"id":…,"method":…,"params":{…}}`.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// Echoed in the reply.
    pub id: u64,
    /// What to do.
    pub method: Method,
    /// The decoded parameters (all absent when `params` was omitted).
    pub params: Params,
    /// The raw JSON of `params.value`, for `record.set` (the record's
    /// deserializer unescapes its strings in place).
    pub value: Option<&'a mut [u8]>,
    /// The frame it came in (v3 frames other than `req` map onto methods).
    #[cfg(feature = "v3")]
    pub frame: Frame,
}

/// One parsed line.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A hello: starts (or restarts) the session.
    Hello(Hello),
    /// A request.
    Request(Request<'a>),
}

/// Parses one line (without its newline). `Ok(None)` for a blank line.
///
/// The line is rewritten in place as its strings are unescaped.
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
    let mut de = Deserializer::new(line, false);
    if de.peek() != Some(b'{') {
        return Err(ParseError::new(0, ErrorCode::ProtocolError, "expected a JSON object"));
    }
    let mut top = Top::default();
    de.members(|key, de| {
        let slot = match key {
            "id" => &mut top.id,
            "method" => &mut top.method,
            "params" => &mut top.params,
            "hello" => &mut top.hello,
            "version" => &mut top.hello_fields.version,
            "client" => &mut top.hello_fields.client,
            "auth_token" => &mut top.hello_fields.auth_token,
            #[cfg(feature = "v3")]
            "t" => &mut top.v3.t,
            #[cfg(feature = "v3")]
            "topic" => &mut top.v3.topic,
            #[cfg(feature = "v3")]
            "sub" => &mut top.v3.sub,
            #[cfg(feature = "v3")]
            "payload" => &mut top.v3.payload,
            #[cfg(feature = "v3")]
            "max_rate_hz" => &mut top.v3.max_rate_hz,
            #[cfg(feature = "v3")]
            "min_interval_ms" => &mut top.v3.min_interval_ms,
            _ => return de.skip_value(),
        };
        *slot = Some(de.raw_value()?);
        Ok(())
    })
    .map_err(|_| ParseError::new(0, ErrorCode::ParseError, "invalid JSON"))?;

    #[cfg(feature = "v3")]
    if top.v3.t.is_some() {
        return v3::parse(top).map(Some);
    }

    if let Some(hello) = top.hello {
        return parse_hello(hello).map(|h| Some(Message::Hello(h)));
    }
    if top.method.is_none() && top.hello_fields.version.is_some() {
        return top.hello_fields.decode().map(|h| Some(Message::Hello(h)));
    }

    let id = match top.id {
        None => return Err(ParseError::new(0, ErrorCode::ProtocolError, "missing id")),
        Some(raw) => Deserializer::new(raw, false)
            .u64()
            .map_err(|_| ParseError::new(0, ErrorCode::ProtocolError, "id must be an unsigned integer"))?,
    };
    let method = top.method.ok_or(ParseError::new(id, ErrorCode::ProtocolError, "missing method"))?;
    let method = Deserializer::new(method, false).str().ok().and_then(Method::from_name).ok_or(ParseError::new(
        id,
        ErrorCode::MethodNotFound,
        "unknown method",
    ))?;

    let (params, value) = parse_params(id, top.params)?;
    Ok(Some(Message::Request(Request {
        id,
        method,
        params,
        value,
        #[cfg(feature = "v3")]
        frame: Frame::V1,
    })))
}

/// The params object (absent or `null`: all absent), and `value`'s raw span.
fn parse_params(id: u64, raw: Option<&mut [u8]>) -> Result<(Params, Option<&mut [u8]>), ParseError> {
    let mut params = Params::default();
    let mut value = None;
    if let Some(raw) = raw.filter(|p| **p != *b"null") {
        let mut de = Deserializer::new(raw, false);
        if de.peek() != Some(b'{') {
            return Err(ParseError::new(id, ErrorCode::InvalidParams, "params must be an object"));
        }
        de.members(|key, de| {
            match key {
                "name" => params.name = Some(bounded(de.str()?)?),
                "record" => params.record = Some(bounded(de.str()?)?),
                "send_initial" => params.send_initial = Some(de.bool()?),
                "queue_size" => params.queue_size = Some(u32_param(de)?),
                "limit" => params.limit = Some(u32_param(de)?),
                "max_rate_hz" => params.max_rate_hz = Some(fixed_param(de, 6)?),
                "min_interval_ms" => params.min_interval_ms = Some(fixed_param(de, 0)?),
                "subscription_id" => params.subscription_id = Some(bounded(de.str()?)?),
                "value" => value = Some(de.raw_value()?),
                _ => de.skip_value()?,
            }
            Ok(())
        })
        .map_err(|_| ParseError::new(id, ErrorCode::InvalidParams, "params have the wrong types"))?;
    }
    Ok((params, value))
}

/// A count parameter: an unsigned integer that fits a `u32`.
fn u32_param(de: &mut Deserializer<'_>) -> Result<u32, DeError> {
    u32::try_from(de.u64()?).map_err(|_| DeError("number too large"))
}

/// A number parameter in units of `10^-decimals` (see [`Fixed`]).
fn fixed_param(de: &mut Deserializer<'_>, decimals: i32) -> Result<Fixed, DeError> {
    Fixed::parse(de.raw_value()?, decimals).ok_or(DeError("expected a number"))
}

/// A string that must fit `N` bytes.
fn bounded<const N: usize>(s: &str) -> Result<String<N>, DeError> {
    String::try_from(s).map_err(|_| DeError("string too long"))
}

/// The top-level members of a line, as raw spans.
#[derive(Default)]
struct Top<'a> {
    id: Option<&'a mut [u8]>,
    method: Option<&'a mut [u8]>,
    params: Option<&'a mut [u8]>,
    hello: Option<&'a mut [u8]>,
    hello_fields: HelloFields<'a>,
    #[cfg(feature = "v3")]
    v3: v3::Members<'a>,
}

/// The members of a hello, as raw spans.
#[derive(Default)]
struct HelloFields<'a> {
    version: Option<&'a mut [u8]>,
    client: Option<&'a mut [u8]>,
    auth_token: Option<&'a mut [u8]>,
}

const MALFORMED_HELLO: ParseError = ParseError::new(0, ErrorCode::ProtocolError, "malformed hello");

/// The text of a hello member: absent or `null` is `None`.
fn hello_text(raw: Option<&mut [u8]>) -> Result<Option<&str>, ParseError> {
    match raw {
        None => Ok(None),
        Some(raw) if *raw == *b"null" => Ok(None),
        Some(raw) => Deserializer::new(raw, false).str().map(Some).map_err(|_| MALFORMED_HELLO),
    }
}

impl HelloFields<'_> {
    fn decode(self) -> Result<Hello, ParseError> {
        let text = hello_text;
        let mut hello = Hello {
            version: text(self.version)?.map(bounded).transpose().map_err(|_| MALFORMED_HELLO)?,
            client: text(self.client)?.map(bounded).transpose().map_err(|_| MALFORMED_HELLO)?,
            ..Hello::default()
        };
        // A token that cannot be one is a failed authentication, not a
        // protocol error: the client did try to authenticate.
        match self.auth_token {
            None => {}
            Some(raw) if *raw == *b"null" => {}
            Some(raw) => match Deserializer::new(raw, false).str().ok().map(bounded::<TOKEN_MAX>) {
                Some(Ok(token)) => hello.auth_token = Some(Secret(token)),
                _ => hello.token_unusable = true,
            },
        }
        Ok(hello)
    }
}

#[cfg(feature = "v3")]
mod v3;

fn parse_hello(raw: &mut [u8]) -> Result<Hello, ParseError> {
    let mut de = Deserializer::new(raw, false);
    if de.peek() != Some(b'{') {
        return Err(ParseError::new(0, ErrorCode::ProtocolError, "hello must be an object"));
    }
    let mut fields = HelloFields::default();
    de.members(|key, de| {
        let slot = match key {
            "version" => &mut fields.version,
            "client" => &mut fields.client,
            "auth_token" => &mut fields.auth_token,
            _ => return de.skip_value(),
        };
        *slot = Some(de.raw_value()?);
        Ok(())
    })
    .map_err(|_| MALFORMED_HELLO)?;
    fields.decode()
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
        assert_eq!(r.value.as_deref(), Some(&br#"{"a":[1,"}"]}"#[..]));
        let r = request(r#"{"method":"record.get","id":9,"params":{"record":"a\"b"}}"#);
        assert_eq!(r.params.record_name(), Some("a\"b"));
        let r = request(
            r#"{"id":4,"method":"record.subscribe","params":{"name":"a","send_initial":false,"queue_size":8,"limit":3,"subscription_id":"sub-2"}}"#,
        );
        let want = Params {
            name: Some("a".try_into().unwrap()),
            send_initial: Some(false),
            queue_size: Some(8),
            limit: Some(3),
            subscription_id: Some("sub-2".try_into().unwrap()),
            ..Params::default()
        };
        assert_eq!(r.params, want);
        let r = request(r#"{"id":4,"method":"record.subscribe","params":{"max_rate_hz":0.5,"min_interval_ms":-2e3}}"#);
        assert_eq!(r.params.max_rate_hz.map(|n| n.units_up()), Some(500_000));
        assert_eq!(r.params.min_interval_ms.map(|n| (n.negative, n.units_up())), Some((true, 2_000)));
        assert_eq!(
            error(br#"{"id":6,"method":"record.subscribe","params":{"max_rate_hz":"10"}}"#),
            (6, ErrorCode::InvalidParams)
        );
        assert_eq!(
            error(br#"{"id":5,"method":"record.drain","params":{"limit":4294967296}}"#),
            (5, ErrorCode::InvalidParams)
        );
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
    fn ids_and_methods_in_any_valid_form() {
        // Escaped method names and the largest id read like the plain forms.
        assert_eq!(request(r#"{"id":18446744073709551615,"method":"record\u002eget"}"#).id, u64::MAX);
        assert_eq!(request(r#"{"id":18446744073709551615,"method":"record\u002eget"}"#).method, Method::Get);
        assert_eq!(request(r#"{"id":0,"method":"ping"}"#).id, 0);
        assert_eq!(error(br#"{"id":1.5,"method":"ping"}"#), (0, ErrorCode::ProtocolError));
        assert_eq!(error(br#"{"id":-1,"method":"ping"}"#), (0, ErrorCode::ProtocolError));
        assert_eq!(error(br#"{"id":3,"method":"record.getx"}"#), (3, ErrorCode::MethodNotFound));
        assert_eq!(error(br#"{"id":3,"method":7}"#), (3, ErrorCode::MethodNotFound));
    }
}
