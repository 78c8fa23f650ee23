//! One handler per method. Each does its effect (a set stores, a subscribe
//! subscribes) and returns what its reply is ([`Reply`]); the reply is then
//! written by [`write`], a plain function of that description and the
//! server's state, which the session may run again after a flush (see
//! [`super::io::Sink`]). No handler awaits anything.

#[cfg(feature = "drain")]
use super::drain;
#[cfg(feature = "graph")]
use super::graph::{self, Graph};
#[cfg(target_pointer_width = "64")]
use super::io::Out;
use super::io::{Halt, Sink};
use super::msg::Msg;
use super::pace;
use super::session::{reply_id, Core, ReplyTo};
use super::subs::Sub;
use super::{Policy, Server, SessionEnd};
use crate::record::{AnyRecord, Origin, Registry};
use crate::runtime::Clock;
use crate::time::Timestamp;
#[cfg(feature = "v3")]
use crate::wire::request::Frame;
use crate::wire::request::{Method, Request};
use crate::wire::{reply, ErrorCode, Full, JsonOut, Wire};

/// Why a handler stopped early: the session ends, or the request gets an
/// error reply.
pub(crate) enum Stop<'a> {
    End(SessionEnd),
    Answer(ErrorCode, Msg<'a>),
}

impl From<SessionEnd> for Stop<'_> {
    fn from(end: SessionEnd) -> Self {
        Stop::End(end)
    }
}

pub(crate) type Answered<'a> = Result<Reply<'a>, Stop<'a>>;

pub(crate) fn answer<'a, T>(code: ErrorCode, msg: Msg<'a>) -> Result<T, Stop<'a>> {
    Err(Stop::Answer(code, msg))
}

/// What a line is answered with, once its effect is done: everything
/// [`write`] needs to write the reply (again, after a flush).
pub(crate) enum Reply<'a> {
    /// No reply (a v3 frame that is never answered, a skipped line).
    Nothing,
    /// An error reply to request `id`; the session goes on.
    Error(u64, ErrorCode, Msg<'a>),
    /// A refusal: it is flushed, and the session ends.
    Refuse(ReplyTo, ErrorCode, Msg<'a>),
    /// The welcome to a hello (a v3 one answers the hello's id).
    Welcome(ReplyTo, bool),
    Pong(u64, Timestamp),
    #[cfg(feature = "v3")]
    PongFrame,
    Stats(u64),
    List(u64),
    #[cfg(feature = "graph")]
    Graph(u64, Graph),
    #[cfg(feature = "schema")]
    Schema(u64, &'a dyn AnyRecord),
    /// `record.get` (`false`) or `record.set` (`true`): the latest value.
    Value(u64, &'a dyn AnyRecord, bool),
    /// A v1 subscription `sub` (a v3 one is named by `id`).
    Subscribed {
        id: u64,
        sub: u32,
        window: u16,
        interval: Option<u16>,
    },
    Unsubscribed(u64, &'a str),
    /// `record.drain`: its values are taken from the record as they are
    /// written, so it keeps how far it got and has its own writer
    /// ([`drain::write`]).
    #[cfg(feature = "drain")]
    Drain(drain::Plan<'a>),
    /// A v3 `sub` of a pattern: its `snap` burst, which keeps how far it got
    /// ([`super::topics::snaps`]).
    #[cfg(feature = "v3")]
    Snaps {
        label: u64,
        topic: &'a str,
        snaps: usize,
        at: super::topics::Snapped,
    },
}

impl Reply<'_> {
    /// The request this answers, for an error reply in its place.
    pub(crate) fn id(&self) -> u64 {
        match *self {
            Reply::Error(id, ..)
            | Reply::Pong(id, _)
            | Reply::Stats(id)
            | Reply::List(id)
            | Reply::Value(id, ..)
            | Reply::Subscribed { id, .. }
            | Reply::Unsubscribed(id, _) => id,
            #[cfg(feature = "graph")]
            Reply::Graph(id, _) => id,
            #[cfg(feature = "schema")]
            Reply::Schema(id, _) => id,
            #[cfg(feature = "drain")]
            Reply::Drain(ref plan) => plan.id,
            #[cfg(feature = "v3")]
            Reply::Snaps { label, .. } => label,
            _ => 0,
        }
    }

    /// Whether it answers a request (a reply too large for a v3 frame is
    /// then refused with an error reply; any other ends the session).
    #[cfg(feature = "v3")]
    pub(crate) fn is_request(&self) -> bool {
        !matches!(self, Reply::Nothing | Reply::Error(..) | Reply::Refuse(..) | Reply::Welcome(..))
    }

    /// Whether it may outgrow a length-prefixed frame's buffer (measured
    /// first then: see `Out::declare`).
    #[cfg(feature = "v3")]
    pub(crate) fn is_big(&self) -> bool {
        match self {
            Reply::List(_) => true,
            #[cfg(feature = "graph")]
            Reply::Graph(..) => true,
            #[cfg(feature = "schema")]
            Reply::Schema(..) => true,
            _ => false,
        }
    }
}

/// Runs the handler of `req`: its effect now, its reply described.
pub(crate) fn handle<'a, 'r: 'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    req: &'a mut Request<'_>,
) -> Answered<'a> {
    #[cfg(feature = "v3")]
    match req.frame {
        Frame::Ping => return Ok(Reply::PongFrame),
        Frame::Write => return super::topics::write(core, req).map(|()| Reply::Nothing).map_err(Stop::End),
        Frame::Unsub => {
            super::topics::unsubscribe(core, req);
            return Ok(Reply::Nothing);
        }
        Frame::Sub => return super::topics::subscribe(core, req),
        Frame::V1 | Frame::Req => {}
    }
    let id = req.id;
    match req.method {
        Method::List => Ok(Reply::List(id)),
        Method::Get => Ok(Reply::Value(id, find(&core.server.registry, req)?.1, false)),
        Method::Set => set(core, req),
        Method::Subscribe => subscribe(core, req),
        Method::Unsubscribe => unsubscribe(core, req),
        Method::Ping => Ok(Reply::Pong(id, core.server.clock.now())),
        Method::Stats => Ok(Reply::Stats(id)),
        #[cfg(feature = "drain")]
        Method::Drain => drain::plan(core, req),
        #[cfg(feature = "schema")]
        Method::Schema => Ok(Reply::Schema(id, find(&core.server.registry, req)?.1)),
        #[cfg(feature = "graph")]
        Method::GraphNodes => Ok(Reply::Graph(id, Graph::Nodes)),
        #[cfg(feature = "graph")]
        Method::GraphEdges => Ok(Reply::Graph(id, Graph::Edges)),
        #[cfg(feature = "graph")]
        Method::GraphTopoOrder => Ok(Reply::Graph(id, Graph::TopoOrder)),
        #[cfg(feature = "v3")]
        Method::Query if core.wire().is_v3() => {
            // AimDB answers `record.query` from a history store; this server
            // keeps none, so it says so (as AimDB does without one).
            answer(ErrorCode::InternalError, msg!("record.query needs a history store; use record.get or record.drain"))
        }
        #[cfg(feature = "v3")]
        Method::Query => answer(ErrorCode::MethodNotFound, msg!("unknown method")),
    }
}

/// Writes `reply` into the sink, piece by piece (the pieces the sink
/// already holds are skipped). A plain function of the description and the
/// server's state: no effect, so it can run again after a flush, or once
/// only measured.
pub(crate) fn write<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    wire: Wire,
    reply: &Reply<'a>,
    s: &mut Sink<'_, '_, OUT>,
) -> Result<(), Halt<'a>> {
    match *reply {
        Reply::Nothing => Ok(()),
        #[cfg(feature = "drain")]
        Reply::Drain(_) => Ok(()),
        #[cfg(feature = "v3")]
        Reply::Snaps { .. } => Ok(()),
        Reply::Error(id, code, message) => error(s, wire, Some(id), code, message),
        Reply::Refuse(id, code, message) => error(s, wire, reply_id(id), code, message),
        Reply::Welcome(id, authenticated) => welcome(server, s, id, authenticated),
        #[cfg(feature = "v3")]
        Reply::PongFrame => s.piece(&mut |o| o.raw(b"{\"t\":\"pong\"}\n")),
        Reply::Pong(id, now) => s.piece(&mut |o| {
            reply::result_start(o, wire, id)?;
            o.raw(b"{\"pong\":true,\"timestamp\":")?;
            o.timestamp(now)?;
            o.raw(b"}")?;
            reply::result_end(o)
        }),
        Reply::Stats(id) => stats(server, s, wire, id),
        Reply::List(id) => list(server, s, wire, id),
        #[cfg(feature = "graph")]
        Reply::Graph(id, which) => graph::write(server, s, wire, id, which),
        #[cfg(feature = "schema")]
        Reply::Schema(id, record) => schema(s, wire, id, record),
        Reply::Value(id, record, set) => value(s, wire, id, record, set),
        Reply::Subscribed { id, sub, window, interval } => s.piece(&mut |o| {
            reply::result_start(o, wire, id)?;
            if wire.is_v3() {
                o.raw(b"{\"subscription_id\":\"")?;
                o.u64(id)?;
                o.raw(b"\"")?;
            } else {
                o.raw(b"{\"subscription_id\":")?;
                reply::subscription_id(o, sub)?;
            }
            o.raw(b",\"queue_size\":")?;
            o.u64(window.into())?;
            if let Some(interval) = interval {
                o.raw(b",\"min_interval_ms\":")?;
                o.u64(interval.into())?;
            }
            o.raw(b"}")?;
            reply::result_end(o)
        }),
        Reply::Unsubscribed(id, sub_id) => s.piece(&mut |o| {
            reply::result_start(o, wire, id)?;
            o.raw(b"{\"subscription_id\":")?;
            o.str(sub_id)?;
            o.raw(b",\"status\":\"cancelled\"}")?;
            reply::result_end(o)
        }),
    }
}

/// An error reply (or a refusal, `id` `None` in v1).
fn error<'a, const OUT: usize>(
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: Option<u64>,
    code: ErrorCode,
    message: Msg<'_>,
) -> Result<(), Halt<'a>> {
    if !s.try_piece(&mut |o| reply::error(o, wire, id, code, |o| message.write(o)))? {
        // Only a message built from a long, heavily escaped name gets
        // here (a refusal's always fits: its parts are short).
        s.piece(&mut |o| reply::error(o, wire, id, code, |o| o.str(code.as_str())))?;
    }
    Ok(())
}

/// The welcome; a v3 one (`id` of the hello) is the hello's reply.
fn welcome<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    s: &mut Sink<'_, '_, OUT>,
    id: ReplyTo,
    authenticated: bool,
) -> Result<(), Halt<'a>> {
    let config = &server.config;
    let write = config.policy == Policy::ReadWrite;
    s.piece(&mut |o| {
        if let Some(id) = reply_id(id) {
            reply::result_start(o, Wire::V3, id)?;
            o.raw(b"{\"version\":\"3.0\",\"server\":")?;
            o.str(config.name)?;
            o.raw(b",\"permissions\":[\"read\"")?;
        } else {
            o.raw(b"{\"version\":\"1.0\",\"server\":")?;
            o.str(config.name)?;
            o.raw(b",\"permissions\":[\"read\",\"subscribe\"")?;
        }
        if write {
            o.raw(b",\"write\"")?;
        }
        o.raw(b"],\"writable_records\":[")
    })?;
    let writable = server.registry().iter().filter(|r| write && r.meta().writable);
    for (i, record) in writable.enumerate() {
        s.piece(&mut |o| {
            if i > 0 {
                o.raw(b",")?;
            }
            o.str(record.meta().name)
        })?;
    }
    s.piece(&mut |o| {
        o.raw(b"],\"max_subscriptions\":")?;
        o.u64(SUBS as u64)?;
        o.raw(b",\"authenticated\":")?;
        o.bool(authenticated)?;
        o.raw(if reply_id(id).is_some() { b"}}\n" } else { b"}\n" })
    })
}

fn stats<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: u64,
) -> Result<(), Halt<'a>> {
    // Two pieces: the whole reply may not fit a 256-byte buffer. (Counted
    // when written: after a flush between them, the second half is newer.)
    let c = server.stats();
    s.piece(&mut |o| {
        reply::result_start(o, wire, id)?;
        counters(
            o,
            b"{",
            &[
                ("sessions_open", c.sessions_open),
                ("sessions_total", c.sessions_total),
                ("sessions_refused", c.sessions_refused),
                ("sessions_evicted", c.sessions_evicted),
                ("requests", c.requests),
                ("events_sent", c.events_sent),
            ],
        )
    })?;
    s.piece(&mut |o| {
        counters(
            o,
            b",",
            &[
                ("events_dropped", c.events_dropped),
                ("events_coalesced", c.events_coalesced),
                ("auth_failures", c.auth_failures),
                ("parse_errors", c.parse_errors),
                ("bytes_in", c.bytes_in),
                ("bytes_out", c.bytes_out),
            ],
        )?;
        if let Some(started) = c.started_at {
            o.raw(b",\"started_at\":")?;
            o.timestamp(started)?;
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })
}

/// `"name":value` pairs, the first after `open`, the others after commas.
fn counters(o: &mut JsonOut, open: &[u8], fields: &[(&str, u64)]) -> Result<(), Full> {
    for (i, (name, value)) in fields.iter().enumerate() {
        o.raw(if i == 0 { open } else { b"," })?;
        o.str(name)?;
        o.raw(b":")?;
        o.u64(*value)?;
    }
    Ok(())
}

/// The record named in the params.
pub(crate) fn find<'a, 'r: 'a>(
    registry: &Registry<'r>,
    req: &'a Request<'_>,
) -> Result<(usize, &'r dyn AnyRecord), Stop<'a>> {
    let Some(name) = req.params.record_name() else {
        return Err(Stop::Answer(ErrorCode::InvalidParams, msg!("params.name is required")));
    };
    // `ok_or_else`: the message is built (out of line) only when not found.
    registry.find(name).ok_or_else(|| Stop::Answer(ErrorCode::NotFound, msg!("record '", name, "' not found")))
}

/// `record.list`, streamed record by record: no buffer holds the whole reply.
fn list<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: u64,
) -> Result<(), Halt<'a>> {
    s.piece(&mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"[")
    })?;
    let created_at = server.created_at();
    for (i, record) in server.registry.iter().enumerate() {
        s.piece(&mut |o| list_entry_head(o, i, record))?;
        s.piece(&mut |o| {
            let meta = record.meta();
            let info = record.info();
            o.raw(b",\"buffer_type\":\"")?;
            o.raw(record.buffer_type().as_str().as_bytes())?;
            o.raw(b"\",\"buffer_capacity\":")?;
            o.u64(record.capacity() as u64)?;
            o.raw(b",\"producer_count\":")?;
            o.u64(meta.producers.into())?;
            o.raw(b",\"consumer_count\":")?;
            o.u64(info.consumers.into())?;
            o.raw(b",\"writable\":")?;
            o.bool(meta.writable)?;
            o.raw(b",\"created_at\":")?;
            o.timestamp(created_at)?;
            if let Some(t) = info.last_update {
                o.raw(b",\"last_update\":")?;
                o.timestamp(server.stamp(t))?;
            }
            o.raw(b",\"outbound_connector_count\":0}")
        })?;
    }
    s.piece(&mut |o| {
        o.raw(b"]")?;
        reply::result_end(o)
    })
}

fn list_entry_head(o: &mut JsonOut, index: usize, record: &dyn AnyRecord) -> Result<(), Full> {
    let meta = record.meta();
    o.raw(if index == 0 { b"{" } else { b",{" })?;
    o.raw(b"\"record_id\":")?;
    o.u64(index as u64)?;
    o.raw(b",\"record_key\":")?;
    o.str(meta.name)?;
    o.raw(b",\"name\":")?;
    o.str(meta.name)?;
    o.raw(b",\"type_id\":")?;
    o.str(record.type_id())?;
    o.raw(b",\"origin\":")?;
    write_origin(o, meta.origin)
}

/// `"source"`, `"passive"` or `{"link":{"protocol":…,"address":…}}`.
pub(crate) fn write_origin(o: &mut JsonOut, origin: Origin) -> Result<(), Full> {
    match origin {
        Origin::Source => o.raw(b"\"source\""),
        Origin::Passive => o.raw(b"\"passive\""),
        Origin::Link { protocol, address } => {
            o.raw(b"{\"link\":{\"protocol\":")?;
            o.str(protocol)?;
            o.raw(b",\"address\":")?;
            o.str(address)?;
            o.raw(b"}}")
        }
    }
}

/// `{"id":…,"result":<value>}` (a set: `{"status":"success","value":…}`)
/// as one piece, or the error when the record has no value or the value
/// is too large.
fn value<'a, const OUT: usize>(
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: u64,
    record: &'a dyn AnyRecord,
    set: bool,
) -> Result<(), Halt<'a>> {
    let mut had_value = true;
    let mut refused = None;
    let fits = s.try_piece(&mut |o| {
        reply::result_start(o, wire, id)?;
        if set {
            o.raw(b"{\"status\":\"success\",\"value\":")?;
        }
        let at = o.len();
        had_value = record.write_newest(o).inspect_err(|_| refused = o.refused())?;
        // v3 clients cannot read `"ok":null`: a null value is no value.
        if wire.is_v3() && !set && o.as_bytes()[at..] == *b"null" {
            had_value = false;
        }
        if !had_value {
            return Err(Full);
        }
        if set {
            o.raw(b"}")?;
        }
        reply::result_end(o)
    });
    // Looked up only for an error (a call through the record's vtable).
    let name = || record.meta().name;
    if !had_value {
        Err(Halt::Answer(ErrorCode::NoValue, msg!("record '", name(), "' has no value yet")))
    } else if let Some(why) = refused {
        Err(Halt::Answer(ErrorCode::InternalError, msg!("the value of '", name(), "' has no JSON form: ", why)))
    } else if !fits? {
        let msg = msg!("the value of '", name(), "' does not fit the reply buffer (", OUT, " bytes)");
        Err(Halt::Answer(ErrorCode::InternalError, msg))
    } else {
        Ok(())
    }
}

/// [`value`] without the reply writer's layers, on 64-bit hosts: the whole
/// reply in one go into the reply buffer, the value copied from the text
/// the record kept the last time it was written (issue 11: the reply to a
/// pipelined `record.get`). `false`, nothing written, for any other reply
/// or when that is not possible (the value not kept, the buffer too full,
/// v3's null, a length-prefixed frame): [`write`] then writes it, as
/// before, and the bytes are the same either way.
#[cfg(target_pointer_width = "64")]
pub(crate) fn value_now<const OUT: usize>(out: &mut Out<'_, OUT>, wire: Wire, reply: &Reply<'_>) -> bool {
    let Reply::Value(id, record, set) = *reply else { return false };
    // A v1 get, the pipelined case, on its own: no flags kept across the
    // record's call.
    if !set && !wire.is_v3() {
        return out.whole(|o| {
            reply::result_start(o, Wire::V1, id).is_ok() && record.write_kept(o) && reply::result_end(o).is_ok()
        });
    }
    out.whole(|o| {
        if reply::result_start(o, wire, id).is_err() {
            return false;
        }
        if set && o.raw(b"{\"status\":\"success\",\"value\":").is_err() {
            return false;
        }
        let at = o.len();
        if !record.write_kept(o) || (wire.is_v3() && !set && o.as_bytes()[at..] == *b"null") {
            return false;
        }
        (!set || o.raw(b"}").is_ok()) && reply::result_end(o).is_ok()
    })
}

fn set<'a, 'r: 'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    req: &'a mut Request<'_>,
) -> Answered<'a> {
    let value = req.value.take();
    let req: &'a Request<'_> = req;
    if core.server.config.policy == Policy::ReadOnly {
        return answer(ErrorCode::PermissionDenied, msg!("server is read-only"));
    }
    let (_, record) = find(&core.server.registry, req)?;
    let name = record.meta().name;
    if !record.meta().writable {
        return answer(ErrorCode::PermissionDenied, msg!("record '", name, "' is not writable"));
    }
    let Some(value) = value else {
        return answer(ErrorCode::InvalidParams, msg!("params.value is required"));
    };
    if let Err(e) = record.set_json(value) {
        return answer(ErrorCode::ValidationError, msg!(e.0));
    }
    Ok(Reply::Value(req.id, record, true))
}

fn subscribe<'a, 'r: 'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let id = req.id;
    let (index, record) = find(&core.server.registry, req)?;
    if !core.subs.has_room() {
        return answer(ErrorCode::TooManySubscriptions, msg!("at most ", SUBS, " subscriptions per session"));
    }
    // At most 65,535: the cursor keeps its window in 16 bits.
    let capacity = record.capacity().min(u16::MAX.into()) as u32;
    let window = match req.params.queue_size {
        Some(0) => return answer(ErrorCode::InvalidParams, msg!("queue_size must be at least 1")),
        Some(asked) => asked.min(capacity),
        None => capacity,
    };
    let interval = match pace::interval(&req.params) {
        Ok(interval) => interval,
        Err(why) => return answer(ErrorCode::InvalidParams, why),
    };
    let send_initial = req.params.send_initial.unwrap_or(true);
    // In v3 a subscription is named by the id of the request that opened
    // it, whichever frame that was (see `topics`).
    #[cfg(feature = "v3")]
    if core.wire().is_v3() {
        let slot = super::topics::slot_id(id)?;
        if core.subs.has(slot.get()) {
            return answer(ErrorCode::InvalidParams, msg!("subscription id in use"));
        }
        let head = record.attach();
        let base = if send_initial { head.saturating_sub(1) } else { head };
        let pace = interval.map(|interval| (interval, pace::ms(core.server.clock.monotonic())));
        core.subs.add_v3(Sub::new(slot, index as u16, window as u16, base, pace), false);
        return Ok(Reply::Subscribed { id, sub: 0, window: window as u16, interval: None });
    }
    let head = record.attach();
    let base = if send_initial { head.saturating_sub(1) } else { head };
    let now = pace::ms(core.server.clock.monotonic());
    let pace = interval.map(|interval| (interval, now));
    let sub = core
        .subs
        .add(|sub_id| Sub::new(sub_id, index as u16, window as u16, base, pace))
        .expect("room was checked above");
    Ok(Reply::Subscribed { id, sub: sub.id.get(), window: sub.window(), interval })
}

/// `{"record":…,"type_id":…,"schema":…}`; `schema` is `null` when the
/// record publishes none.
#[cfg(feature = "schema")]
fn schema<'a, const OUT: usize>(
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: u64,
    record: &'a dyn AnyRecord,
) -> Result<(), Halt<'a>> {
    let meta = record.meta();
    let fits = s.try_piece(&mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"{\"record\":")?;
        o.str(meta.name)?;
        o.raw(b",\"type_id\":")?;
        o.str(record.type_id())?;
        o.raw(b",\"schema\":")?;
        match meta.schema {
            Some(s) => crate::schema::write(o, s.0)?,
            None => o.raw(b"null")?,
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })?;
    if fits {
        Ok(())
    } else {
        let msg = msg!("the schema of '", meta.name, "' does not fit the reply buffer (", OUT, " bytes)");
        Err(Halt::Answer(ErrorCode::InternalError, msg))
    }
}

fn unsubscribe<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let Some(sub_id) = req.params.subscription_id else {
        return answer(ErrorCode::InvalidParams, msg!("params.subscription_id is required"));
    };
    #[cfg(feature = "v3")]
    let number =
        if core.wire().is_v3() { super::topics::parse_sub(sub_id) } else { reply::parse_subscription_id(sub_id) };
    #[cfg(not(feature = "v3"))]
    let number = reply::parse_subscription_id(sub_id);
    let registry = core.server.registry;
    if !number.is_some_and(|n| core.subs.remove(n, &registry)) {
        return answer(ErrorCode::NotFound, msg!("subscription '", sub_id, "' not found"));
    }
    Ok(Reply::Unsubscribed(req.id, sub_id))
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use std::vec::Vec;

    use super::*;
    use crate::{SingleLatest, SpmcRing};

    const N: usize = 96;

    /// An empty reply buffer over `buf` with `fill` bytes already in it.
    fn out_with(buf: &mut [u8; N], fill: usize) -> Out<'_, N> {
        let mut out = Out::new(Some(buf), None);
        let filler = [b'x'; N];
        out.piece(&mut |o| o.raw(&filler[..fill])).unwrap();
        out
    }

    /// What [`value_now`] writes after `fill` bytes, if it writes.
    fn fast(wire: Wire, reply: &Reply<'_>, fill: usize) -> Option<Vec<u8>> {
        let mut buf = [0; N];
        let mut out = out_with(&mut buf, fill);
        let wrote = value_now(&mut out, wire, reply);
        let bytes = out.ready_bytes().to_vec();
        assert!(wrote || bytes.len() == fill, "nothing written when it says so");
        wrote.then_some(bytes)
    }

    /// What [`value`] writes after `fill` bytes, if it writes the reply.
    fn general(wire: Wire, reply: &Reply<'_>, fill: usize) -> Option<Vec<u8>> {
        let Reply::Value(id, record, set) = *reply else { unreachable!() };
        let mut buf = [0; N];
        let mut out = out_with(&mut buf, fill);
        let wrote = value(&mut Sink::new(&mut out, 0), wire, id, record, set).is_ok();
        wrote.then(|| out.ready_bytes().to_vec())
    }

    #[test]
    fn a_kept_value_goes_in_whole_with_the_same_bytes() {
        static NUMBER: SingleLatest<u8> = SingleLatest::with_value("n", "u8", 7);
        static TEXT: SingleLatest<heapless::String<8>> = SingleLatest::new("t", "");
        static NULL: SingleLatest<Option<u8>> = SingleLatest::with_value("z", "", None);
        static LONG: SingleLatest<heapless::String<64>> = SingleLatest::new("l", "");
        static EMPTY: SpmcRing<u8, 2> = SpmcRing::new("e", "u8");
        TEXT.publish(heapless::String::try_from("a\"b\n").unwrap());
        LONG.publish(heapless::String::try_from("x".repeat(60).as_str()).unwrap());
        let records: [(&dyn AnyRecord, bool); 5] =
            [(&NUMBER, true), (&TEXT, true), (&NULL, true), (&LONG, false), (&EMPTY, false)];
        let wires = [Wire::V1, Wire::V3];
        for (record, keeps) in records {
            // Nothing kept before a session wrote the value once.
            assert_eq!(fast(Wire::V1, &Reply::Value(1, record, false), 0), None);
            for (wire, set, id) in wires.iter().flat_map(|&w| [(w, false, 0), (w, true, 12_345), (w, false, u64::MAX)])
            {
                let reply = Reply::Value(id, record, set);
                let whole = general(wire, &reply, 0);
                let null = wire.is_v3() && !set && core::ptr::eq(record, &NULL as &dyn AnyRecord);
                for fill in 0..=N {
                    let (fast, general) = (fast(wire, &reply, fill), general(wire, &reply, fill));
                    if fast.is_some() {
                        assert_eq!(fast, general, "{wire:?} set {set} fill {fill}");
                    } else {
                        // Only where the general path writes nothing (no
                        // room, v3's null) or the value is not kept.
                        assert!(general.is_none() || !keeps || null, "{wire:?} set {set} fill {fill}");
                    }
                }
                // Taken whenever the reply fits and its value is kept.
                assert_eq!(fast(wire, &reply, 0).is_some(), keeps && !null && whole.is_some());
            }
        }
    }

    #[cfg(feature = "v3")]
    #[test]
    fn length_prefixed_frames_take_the_general_path() {
        static NUMBER: SingleLatest<u8> = SingleLatest::with_value("n", "u8", 7);
        let reply = Reply::Value(1, &NUMBER, false);
        assert!(general(Wire::V3, &reply, 0).is_some());
        let mut buf = [0; N];
        let mut out = out_with(&mut buf, 0);
        assert!(value_now(&mut out, Wire::V3, &reply));
        out.length_prefixed(true);
        assert!(!value_now(&mut out, Wire::V3, &reply));
    }
}
