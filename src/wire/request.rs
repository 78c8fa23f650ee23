//! One line of input to a [`Message`]: a hello or a request.
//!
//! The line is first validated by the scanner (so nesting is bounded),
//! then decoded by hand with the [`Deserializer`]'s primitives: its members
//! are found in any order, unknown ones skipped whatever their size, and
//! strings unescaped in place (escaped surrogate pairs included), so a
//! string is bounded only by the line. A request's `record.set` value stays
//! a raw span of the line: the record decodes it into its type.

use heapless::String;

use super::number::Fixed;
use super::reply::{ErrorCode, Wire};
use super::scan::ScanError;
use super::value::de::{unquote as string, DeError, Deserializer};

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
    #[cfg(feature = "drain")]
    Drain,
    #[cfg(feature = "schema")]
    Schema,
    #[cfg(feature = "graph")]
    GraphNodes,
    #[cfg(feature = "graph")]
    GraphEdges,
    #[cfg(feature = "graph")]
    GraphTopoOrder,
    #[cfg(feature = "v3")]
    Query,
}

/// The methods by name. A table, not a `match` on byte strings: that
/// compiles to a comparison per byte (~900 B of flash on a Cortex-M).
const METHODS: &[(&str, Method)] = &[
    ("record.get", Method::Get),
    ("record.set", Method::Set),
    ("record.subscribe", Method::Subscribe),
    ("record.list", Method::List),
    ("record.unsubscribe", Method::Unsubscribe),
    ("ping", Method::Ping),
    ("server.stats", Method::Stats),
    #[cfg(feature = "drain")]
    ("record.drain", Method::Drain),
    #[cfg(feature = "schema")]
    ("record.schema", Method::Schema),
    #[cfg(feature = "graph")]
    ("graph.nodes", Method::GraphNodes),
    #[cfg(feature = "graph")]
    ("graph.edges", Method::GraphEdges),
    #[cfg(feature = "graph")]
    ("graph.topo_order", Method::GraphTopoOrder),
    #[cfg(feature = "v3")]
    ("record.query", Method::Query),
];

impl Method {
    fn from_name(name: &[u8]) -> Option<Self> {
        METHODS.iter().find(|(n, _)| n.as_bytes() == name).map(|&(_, m)| m)
    }
}

/// The parameters the methods use; unknown ones are ignored. Strings are
/// borrowed from the line (unescaped in place), not copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Params<'a> {
    /// Record name (the spec's form), at most [`NAME_MAX`] bytes.
    pub name: Option<&'a str>,
    /// Record name (the form `aimdb-cli` sends for `record.get`), at most
    /// [`NAME_MAX`] bytes.
    pub record: Option<&'a str>,
    /// `record.subscribe`: send the current value first (default true).
    pub send_initial: Option<bool>,
    /// `record.subscribe`: requested queue depth.
    pub queue_size: Option<u32>,
    /// `record.unsubscribe`: which subscription (at most 32 bytes).
    pub subscription_id: Option<&'a str>,
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

impl<'a> Params<'a> {
    /// The record name, from `name` or `record`.
    pub fn record_name(&self) -> Option<&'a str> {
        self.name.or(self.record)
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
    pub params: Params<'a>,
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
    // The shape clients write, on hosts where a second path is cheap.
    #[cfg(target_pointer_width = "64")]
    if let Some(p) = plain::read(line) {
        return Ok(Some(Message::Request(plain_request(line, p))));
    }
    general(line)
}

/// [`parse`] into `slot` (the session keeps the answer there while the
/// reply borrows it): a plain line's request is built in the slot itself,
/// not in a temporary the size of a hello that is then copied (~50
/// instructions a request).
#[cfg_attr(target_pointer_width = "64", inline)]
pub(crate) fn parse_into<'s, 'l>(
    line: &'l mut [u8],
    slot: &'s mut Option<Result<Option<Message<'l>>, ParseError>>,
) -> &'s mut Result<Option<Message<'l>>, ParseError> {
    #[cfg(target_pointer_width = "64")]
    if let Some(p) = plain::read(line) {
        return slot.insert(Ok(Some(Message::Request(plain_request(line, p)))));
    }
    slot.insert(general(line))
}

/// The request on the line at the start of `input` when that line has
/// the plain shape (see [`plain`]; a line cut from `input` would decode to
/// the same request): the request, the line's length, and the bytes it
/// took with its end. For `LineReader::next_request`.
#[cfg(target_pointer_width = "64")]
#[inline]
pub(crate) fn plain_line(input: &[u8]) -> Option<(plain::Plain, usize, usize)> {
    plain::read_line(input)
}

/// A plain line's request (see [`plain`]): the same one [`general`] decodes.
#[cfg(target_pointer_width = "64")]
#[inline]
pub(crate) fn plain_request(line: &[u8], p: plain::Plain) -> Request<'_> {
    let mut params = Params::default();
    if let Some((k, span)) = p.param {
        let text = Some(plain::param(line, span));
        match k {
            0 => params.name = text,
            1 => params.record = text,
            _ => params.subscription_id = text,
        }
    }
    Request {
        id: p.id,
        method: p.method,
        params,
        value: None,
        #[cfg(feature = "v3")]
        frame: Frame::V1,
    }
}

/// [`parse`] for every line: validates it whole, then reads its members.
fn general(line: &mut [u8]) -> Result<Option<Message<'_>>, ParseError> {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    // How the top-level members are found: on 64-bit hosts the validating
    // pass finds them as it goes (one pass over the line: `found`); on an
    // MCU a walk after validation reads them (a second pass, but ~2 KB
    // less code: `walk`). Both answer every line alike (tested on the
    // host, where both are built).
    #[cfg(target_pointer_width = "64")]
    return found::message(line);
    #[cfg(not(target_pointer_width = "64"))]
    decode::<Message>(walk::top(line)?).map(Some)
}

#[cfg(target_pointer_width = "64")]
use found::Kept;

/// The members of `params` kept by the validating pass: none on an MCU,
/// where `params` is always walked.
#[cfg(not(target_pointer_width = "64"))]
struct Kept;

#[cfg(not(target_pointer_width = "64"))]
impl Kept {
    fn walked() -> Self {
        Kept
    }
}

/// The error for a line the scanner refused.
fn scan_error(line: &[u8], e: ScanError) -> ParseError {
    // As if checked first: a line that is not UTF-8 is reported so.
    if !super::utf8::valid(line) {
        return ParseError::new(0, ErrorCode::ParseError, "line is not valid UTF-8");
    }
    match e {
        ScanError::Invalid => INVALID_JSON,
        ScanError::TooDeep => ParseError::new(0, ErrorCode::ParseError, "JSON nested too deeply"),
    }
}

const INVALID_JSON: ParseError = ParseError::new(0, ErrorCode::ParseError, "invalid JSON");
const NOT_AN_OBJECT: ParseError = ParseError::new(0, ErrorCode::ProtocolError, "expected a JSON object");

/// A line's message, from its top-level members, as `M`: a host builds
/// `Some(message)` in place (mapped, the message would be copied); an MCU
/// the message (less code).
#[cfg_attr(target_pointer_width = "64", inline(always))] // `Top` is big: moved, it costs a copy
fn decode<'a, M: From<Message<'a>>>(top: Top<'a>) -> Result<M, ParseError> {
    // (`Option`: built in place in `parse`'s answer; mapped, it would be copied.)
    #[cfg(feature = "v3")]
    if top.v3.t.is_some() {
        return v3::parse(top).map(M::from);
    }

    if top.hello.is_some() || (top.method.is_none() && top.hello_fields.version.is_some()) {
        // Filled in place: one `Hello` (~220 bytes), built once, moved once.
        let mut hello = Hello::default();
        match top.hello {
            Some(raw) => parse_hello(raw, &mut hello)?,
            None => top.hello_fields.decode(&mut hello)?,
        }
        return Ok(Message::Hello(hello).into());
    }

    let id = match top.id {
        None => return Err(ParseError::new(0, ErrorCode::ProtocolError, "missing id")),
        Some(raw) => {
            read_id(raw).ok_or(ParseError::new(0, ErrorCode::ProtocolError, "id must be an unsigned integer"))?
        }
    };
    let method = top.method.ok_or(ParseError::new(id, ErrorCode::ProtocolError, "missing method"))?;
    let method = read_method(method).ok_or(ParseError::new(id, ErrorCode::MethodNotFound, "unknown method"))?;

    let (params, value) = parse_params(id, top.params, top.kept)?;
    Ok(Message::Request(Request {
        id,
        method,
        params,
        value,
        #[cfg(feature = "v3")]
        frame: Frame::V1,
    })
    .into())
}

/// A request id: a JSON integer that fits a `u64` (`-0` is 0).
fn read_id(raw: &mut [u8]) -> Option<u64> {
    Deserializer::new(raw, false).u64().ok()
}

/// A method name: a JSON string naming a known method.
fn read_method(raw: &mut [u8]) -> Option<Method> {
    string(raw).ok().and_then(|name| Method::from_name(name.as_bytes()))
}

/// The top-level members a line may have, in the order of [`Top::from_slots`].
const TOP_KEYS: &[&str] = &[
    "id",
    "method",
    "params",
    "hello",
    "version",
    "client",
    "auth_token",
    #[cfg(feature = "v3")]
    "t",
    #[cfg(feature = "v3")]
    "topic",
    #[cfg(feature = "v3")]
    "sub",
    #[cfg(feature = "v3")]
    "payload",
    #[cfg(feature = "v3")]
    "max_rate_hz",
    #[cfg(feature = "v3")]
    "min_interval_ms",
];

/// The parameters a method may have (the indices [`param`] takes).
const PARAM_KEYS: &[&str] = &[
    "name",
    "record",
    "send_initial",
    "queue_size",
    "limit",
    "max_rate_hz",
    "min_interval_ms",
    "subscription_id",
    "value",
];

/// The params object (absent or `null`: all absent), and `value`'s raw span.
fn parse_params<'a>(
    id: u64,
    raw: Option<&'a mut [u8]>,
    kept: Kept,
) -> Result<(Params<'a>, Option<&'a mut [u8]>), ParseError> {
    let mut params = Params::default();
    let mut value = None;
    let wrong = ParseError::new(id, ErrorCode::InvalidParams, "params have the wrong types");
    if let Some(raw) = raw.filter(|p| **p != *b"null") {
        if raw.first() != Some(&b'{') {
            return Err(ParseError::new(id, ErrorCode::InvalidParams, "params must be an object"));
        }
        let mut put = |k: usize, raw: &'a mut [u8]| {
            if k == VALUE {
                value = Some(raw);
                Ok(())
            } else {
                param(&mut params, k, raw)
            }
        };
        #[cfg(target_pointer_width = "64")]
        if !kept.walk {
            // The members the validating pass found, in order, cut apart.
            let (mut rest, mut at) = (raw, 0);
            for (k, span) in kept.members {
                let (_, tail) = rest.split_at_mut(span.start - at);
                let (piece, tail) = tail.split_at_mut(span.len());
                (rest, at) = (tail, span.end);
                put(k.into(), piece).map_err(|_| wrong)?;
            }
            return Ok((params, value));
        }
        #[cfg(not(target_pointer_width = "64"))]
        let _ = kept; // nothing is kept on an MCU: walked
        Deserializer::new(raw, false)
            .members(&mut |key, de| match PARAM_KEYS.iter().position(|k| *k == key) {
                Some(k) => put(k, de.raw_value()?),
                None => de.skip_value(),
            })
            .map_err(|_| wrong)?;
    }
    Ok((params, value))
}

/// Where `value` is in [`PARAM_KEYS`].
const VALUE: usize = 8;

/// Sets parameter `k` of [`PARAM_KEYS`] (not `value`) from its raw JSON.
fn param<'a>(params: &mut Params<'a>, k: usize, raw: &'a mut [u8]) -> Result<(), DeError> {
    if matches!(k, 0 | 1 | 7) {
        let text = string(raw)?;
        match k {
            0 => params.name = Some(fits(text, NAME_MAX)?),
            1 => params.record = Some(fits(text, NAME_MAX)?),
            _ => params.subscription_id = Some(fits(text, 32)?),
        }
        return Ok(());
    }
    let mut de = Deserializer::new(raw, false);
    match k {
        2 => params.send_initial = Some(de.bool()?),
        3 => params.queue_size = Some(u32_param(&mut de)?),
        4 => params.limit = Some(u32_param(&mut de)?),
        5 => params.max_rate_hz = Some(fixed_param(&mut de, 6)?),
        _ => params.min_interval_ms = Some(fixed_param(&mut de, 0)?),
    }
    Ok(())
}

/// A count parameter: an unsigned integer that fits a `u32`.
fn u32_param(de: &mut Deserializer<'_>) -> Result<u32, DeError> {
    u32::try_from(de.u64()?).map_err(|_| DeError("number too large"))
}

/// A number parameter in units of `10^-decimals` (see [`Fixed`]).
fn fixed_param(de: &mut Deserializer<'_>, decimals: i32) -> Result<Fixed, DeError> {
    Fixed::parse(de.raw_value()?, decimals).ok_or(DeError("expected a number"))
}

/// A string of at most `N` bytes.
pub(super) fn fits(s: &str, n: usize) -> Result<&str, DeError> {
    if s.len() <= n {
        Ok(s)
    } else {
        Err(DeError("string too long"))
    }
}

/// The top-level members of a line, as raw spans.
struct Top<'a> {
    id: Option<&'a mut [u8]>,
    method: Option<&'a mut [u8]>,
    params: Option<&'a mut [u8]>,
    hello: Option<&'a mut [u8]>,
    hello_fields: HelloFields<'a>,
    #[cfg(feature = "v3")]
    v3: v3::Members<'a>,
    /// The known members of `params`, found by the validating pass.
    kept: Kept,
}

impl<'a> Top<'a> {
    /// The members from their raw values, in the order of [`TOP_KEYS`].
    /// (Destructured: 44 B less code on an MCU than taking them one by one.)
    #[cfg_attr(target_pointer_width = "64", inline(always))] // not a copy of the slots, then of the members
    fn from_slots(slots: [Option<&'a mut [u8]>; TOP_KEYS.len()], kept: Kept) -> Self {
        let [id, method, params, hello, version, client, auth_token, v3 @ ..] = slots;
        #[cfg(not(feature = "v3"))]
        let [] = v3; // v1 only: no slots left
        #[cfg(feature = "v3")]
        let [t, topic, sub, payload, max_rate_hz, min_interval_ms] = v3;
        Top {
            id,
            method,
            params,
            hello,
            hello_fields: HelloFields { version, client, auth_token },
            #[cfg(feature = "v3")]
            v3: v3::Members { t, topic, sub, payload, max_rate_hz, min_interval_ms },
            kept,
        }
    }
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
        Some(raw) => string(raw).map(Some).map_err(|_| MALFORMED_HELLO),
    }
}

impl HelloFields<'_> {
    /// The hello's texts, copied straight into their places in `hello`
    /// (a default one).
    fn decode(self, hello: &mut Hello) -> Result<(), ParseError> {
        if let Some(version) = hello_text(self.version)? {
            fill(hello.version.insert(String::new()), version).ok_or(MALFORMED_HELLO)?;
        }
        if let Some(client) = hello_text(self.client)? {
            fill(hello.client.insert(String::new()), client).ok_or(MALFORMED_HELLO)?;
        }
        // A token that cannot be one is a failed authentication, not a
        // protocol error: the client did try to authenticate.
        match self.auth_token {
            None => {}
            Some(raw) if *raw == *b"null" => {}
            Some(raw) => {
                let token = string(raw).ok();
                if token.and_then(|t| fill(&mut hello.auth_token.insert(Secret(String::new())).0, t)).is_none() {
                    hello.auth_token = None;
                    hello.token_unusable = true;
                }
            }
        }
        Ok(())
    }
}

/// Copies `s` into `slot` if it fits (one copy of the code for every `N`).
fn fill<const N: usize>(slot: &mut String<N>, s: &str) -> Option<()> {
    fill_view(slot.as_mut_view(), s)
}

fn fill_view(slot: &mut heapless::string::StringView, s: &str) -> Option<()> {
    slot.push_str(s).ok()
}

#[cfg(target_pointer_width = "64")]
mod found;
#[cfg(target_pointer_width = "64")]
mod plain;
#[cfg(feature = "v3")]
mod v3;
#[cfg(any(test, not(target_pointer_width = "64")))]
mod walk;

/// The hello object `raw` into `hello` (a default one).
fn parse_hello(raw: &mut [u8], hello: &mut Hello) -> Result<(), ParseError> {
    let mut de = Deserializer::new(raw, false);
    if de.peek() != Some(b'{') {
        return Err(ParseError::new(0, ErrorCode::ProtocolError, "hello must be an object"));
    }
    // `version`, `client`, `auth_token`: the top-level hello's names.
    let mut slots = [const { None }; 3];
    de.slots(&TOP_KEYS[4..7], &mut slots).map_err(|_| MALFORMED_HELLO)?;
    let [version, client, auth_token] = slots;
    HelloFields { version, client, auth_token }.decode(hello)
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

    /// Hello texts are kept only when they fit (`version` 16 bytes,
    /// `client` 64, the token 128); a token that cannot be one is marked.
    #[test]
    fn hello_texts_fit_or_are_refused() {
        let hello = |members: std::string::String| {
            let mut line = std::format!("{{{members}}}").into_bytes();
            match parse(&mut line) {
                Ok(Some(Message::Hello(h))) => Ok(h),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e.message),
            }
        };
        let x = |n: usize| "x".repeat(n);
        let h = hello(std::format!(r#""version":"{}","client":"{}","auth_token":"{}""#, x(16), x(64), x(128))).unwrap();
        assert_eq!((h.version.unwrap().len(), h.client.unwrap().len()), (16, 64));
        assert_eq!((h.auth_token.unwrap().0.len(), h.token_unusable), (128, false));
        assert_eq!(hello(std::format!(r#""version":"{}""#, x(17))).err(), Some("malformed hello"));
        assert_eq!(hello(std::format!(r#""version":"1","client":"{}""#, x(65))).err(), Some("malformed hello"));
        assert_eq!(hello(r#""version":1"#.into()).err(), Some("malformed hello"));
        for token in [std::format!(r#""{}""#, x(129)), "7".into(), "[]".into()] {
            let h = hello(std::format!(r#""version":"1","auth_token":{token}"#)).unwrap();
            assert!(h.auth_token.is_none() && h.token_unusable, "{token}");
        }
        let h = hello(r#""version":"1","client":null,"auth_token":null"#.into()).unwrap();
        assert!(h.client.is_none() && h.auth_token.is_none() && !h.token_unusable);
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
            name: Some("a"),
            send_initial: Some(false),
            queue_size: Some(8),
            limit: Some(3),
            subscription_id: Some("sub-2"),
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
    fn one_pass_finds_members_as_the_walk_did() {
        // The last of a repeated member counts; any bad one is an error.
        let name = |line: &str| request(line).params.record_name().map(std::string::String::from);
        let get = r#"{"id":1,"method":"record.get","params":"#;
        assert_eq!(name(&[get, r#"{"name":"a","name":"b"}}"#].concat()).as_deref(), Some("b"));
        assert_eq!(error(&[get, r#"{"name":5,"name":"b"}}"#].concat().into_bytes()), (1, ErrorCode::InvalidParams));
        // Only the last `params` object counts, even an empty one.
        assert_eq!(name(&[get, r#"{"name":"a"},"params":{}}"#].concat()), None);
        assert_eq!(name(&[get, r#"{"name":"a"},"params":null}"#].concat()), None);
        assert_eq!(name(&[get, r#"{"x":1},"params":{"name":"c"}}"#].concat()).as_deref(), Some("c"));
        assert_eq!(error(&[get, r#"{"name":"a"},"params":[]}"#].concat().into_bytes()), (1, ErrorCode::InvalidParams));
        // Members of other objects, or deeper, are not parameters.
        let line = r#"{"id":1,"x":{"name":"no"},"method":"record.get","params":{"v":{"name":"no"},"record":"r"}}"#;
        assert_eq!(name(line).as_deref(), Some("r"));
        // More known members than the pass keeps: walked, same answers.
        let many = r#"{"name":"a","limit":1,"limit":2,"limit":3,"limit":4,"limit":5,"limit":6,"limit":7,"limit":8}}"#;
        let r = request(&[get, many].concat());
        assert_eq!((r.params.record_name(), r.params.limit), (Some("a"), Some(8)));
        let bad = r#"{"limit":1,"limit":2,"limit":3,"limit":4,"limit":5,"limit":6,"limit":7,"limit":8,"limit":-1}}"#;
        assert_eq!(error(&[get, bad].concat().into_bytes()), (1, ErrorCode::InvalidParams));
        // Keys: escaped ones match; one that decodes to no character is an
        // error (in `params`: invalid params; at the top: invalid JSON).
        assert_eq!(name(r#"{"\u0069d":1,"method":"record.get","params":{"n\u0061me":"e"}}"#).as_deref(), Some("e"));
        assert_eq!(error(&[get, r#"{"\ud800":1}}"#].concat().into_bytes()), (1, ErrorCode::InvalidParams));
        assert_eq!(error(br#"{"id":1,"method":"ping","\ud800":1}"#), (0, ErrorCode::ParseError));
        // The `value` span stays raw, in place.
        let r = request(r#"{"id":2,"method":"record.set","params":{"value":"a\nb","name":"n"}}"#);
        assert_eq!((r.value.as_deref(), r.params.record_name()), (Some(&br#""a\nb""#[..]), Some("n")));
    }

    #[test]
    fn utf8_is_checked_in_the_same_pass() {
        assert_eq!(
            request("{\"id\":1,\"method\":\"record.get\",\"params\":{\"name\":\"t\u{e9}\u{1F600}\"}}")
                .params
                .record_name(),
            Some("t\u{e9}\u{1F600}")
        );
        let message = |line: &[u8]| parse(&mut line.to_vec()).unwrap_err().message;
        assert_eq!(message(b"{\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}"), "line is not valid UTF-8");
        assert_eq!(message(b"{\"id\":1,\"x\":\"\xe9t\"}"), "line is not valid UTF-8");
        assert_eq!(message(b"{\"id\":1,\"x\":\"\xed\xa0\x80\"}"), "line is not valid UTF-8");
        // Invalid JSON before invalid UTF-8 is still reported as UTF-8.
        assert_eq!(message(b"{{ \xff"), "line is not valid UTF-8");
        assert_eq!(message("{\"id\":1}\u{e9}".as_bytes()), "invalid JSON");
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
