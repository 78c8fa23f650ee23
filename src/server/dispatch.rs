//! One handler per method. Each writes its reply into the session's reply
//! buffer; only [`Core::flush`] touches the stream.

use super::drain::drain;
use super::graph::{graph, Graph};
use super::io::Transport;
use super::msg::Msg;
use super::pace;
use super::session::Core;
use super::subs::Sub;
use super::{Policy, SessionEnd};
use crate::record::{AnyRecord, Origin, Registry};
use crate::runtime::Clock;
#[cfg(feature = "v3")]
use crate::wire::request::Frame;
use crate::wire::request::{Method, Request};
use crate::wire::{reply, ErrorCode, Full, JsonOut};

/// Why a handler stopped early: the session ends, or the request gets an
/// error reply (sent once, by [`handle`], so there is one copy of that path).
pub(crate) enum Stop<'a> {
    End(SessionEnd),
    Answer(ErrorCode, Msg<'a>),
}

impl From<SessionEnd> for Stop<'_> {
    fn from(end: SessionEnd) -> Self {
        Stop::End(end)
    }
}

pub(crate) type Answered<'a> = Result<(), Stop<'a>>;

pub(crate) fn answer<'a>(code: ErrorCode, msg: Msg<'a>) -> Answered<'a> {
    Err(Stop::Answer(code, msg))
}

/// The handler of each method: a macro, so the v1-only build dispatches
/// inline as it always did, and the v3 build can run it twice (see
/// `handle`) through [`run`].
macro_rules! methods {
    ($core:ident, $io:ident, $req:expr) => {{
        let core = &mut *$core;
        let io = &mut *$io;
        let req = $req;
        let id = req.id;
        match req.method {
            Method::List => list(core, io, id).await,
            Method::Get => get(core, io, req).await,
            Method::Set => set(core, io, req).await,
            Method::Subscribe => subscribe(core, io, req).await,
            Method::Unsubscribe => unsubscribe(core, io, req).await,
            Method::Ping => ping(core, io, id).await,
            Method::Stats => stats(core, io, id).await,
            Method::Drain => drain(core, io, req).await,
            Method::Schema => schema(core, io, req).await,
            Method::GraphNodes => graph(core, io, id, Graph::Nodes).await,
            Method::GraphEdges => graph(core, io, id, Graph::Edges).await,
            Method::GraphTopoOrder => graph(core, io, id, Graph::TopoOrder).await,
            #[cfg(feature = "v3")]
            Method::Query if core.wire().is_v3() => {
                // AimDB answers `record.query` from a history store; this server
                // keeps none, so it says so (as AimDB does without one).
                answer(
                    ErrorCode::InternalError,
                    msg!("record.query needs a history store; use record.get or record.drain"),
                )
            }
            #[cfg(feature = "v3")]
            Method::Query => answer(ErrorCode::MethodNotFound, msg!("unknown method")),
        }
    }};
}

/// [`methods!`] as one future (v3: measured once, then sent).
#[cfg(feature = "v3")]
async fn run<'a, 'r: 'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a mut Request<'_>,
) -> Answered<'a> {
    methods!(core, io, req)
}

/// Runs the handler of `req`; its error reply (`Stop::Answer`) is left to
/// the session, which sends every error reply from one place.
pub(crate) async fn handle<
    'a,
    'r: 'a,
    C: Clock,
    T: Transport,
    const SUBS: usize,
    const LINE: usize,
    const OUT: usize,
>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a mut Request<'_>,
) -> Answered<'a> {
    #[cfg(feature = "v3")]
    match req.frame {
        Frame::Ping => {
            core.emit(io, &mut |o| o.raw(b"{\"t\":\"pong\"}\n")).await?;
            return Ok(());
        }
        Frame::Write => return super::topics::write(core, req).map_err(Stop::End),
        Frame::Unsub => {
            super::topics::unsubscribe(core, req);
            return Ok(());
        }
        Frame::Sub => return super::topics::subscribe(core, io, req).await,
        Frame::V1 | Frame::Req => {}
    }
    // A v3 length-prefixed reply that may outgrow the reply buffer is
    // measured first (these methods change nothing), then sent behind a
    // header that declares its length (see `Out::declare`).
    #[cfg(feature = "v3")]
    let declared = {
        let big = matches!(
            req.method,
            Method::List | Method::GraphNodes | Method::GraphEdges | Method::GraphTopoOrder | Method::Schema
        );
        if big && core.out.is_length_prefixed() {
            core.flush(io).await?;
            core.out.measure(true);
            let measured = run(core, io, &mut *req).await;
            let (bytes, pieces) = core.out.measure(false);
            // The measured bytes end with the frame's `\n`, which is not sent.
            let fits = bytes <= OUT - 4;
            if measured.is_ok() && !fits {
                // Slack for a value that grows between the passes (a count
                // gaining a digit, a first `last_update`).
                core.out
                    .declare(bytes - 1 + 48 * pieces)
                    .map_err(|_| SessionEnd::WriteError(embedded_io_async::ErrorKind::OutOfMemory))?;
            }
            measured.is_ok() && !fits
        } else {
            false
        }
    };
    #[cfg(feature = "v3")]
    let done = run(core, io, req).await;
    #[cfg(not(feature = "v3"))]
    let done = methods!(core, io, req);
    #[cfg(feature = "v3")]
    if declared {
        core.flush(io).await?;
        // A declared frame that came out longer, or stopped short, leaves
        // the peer unable to find the next frame: the session ends.
        if core.out.broken() || done.is_err() {
            return Err(Stop::End(SessionEnd::WriteError(embedded_io_async::ErrorKind::InvalidData)));
        }
    }
    match done {
        // A v3 length-prefixed reply larger than the reply buffer: its frame
        // cannot be sent in parts, so it is dropped and the request refused.
        #[cfg(feature = "v3")]
        Err(Stop::End(SessionEnd::WriteError(embedded_io_async::ErrorKind::OutOfMemory))) if core.out.abandon() => {
            answer(ErrorCode::InternalError, msg!("the reply does not fit the reply buffer (", OUT, " bytes)"))
        }
        done => done,
    }
}

async fn ping<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    id: u64,
) -> Answered<'static> {
    let wire = core.wire();
    let now = core.server.clock.now();
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"{\"pong\":true,\"timestamp\":")?;
        o.timestamp(now)?;
        o.raw(b"}")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
}

async fn stats<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    id: u64,
) -> Answered<'static> {
    let wire = core.wire();
    // Two pieces: the whole reply may not fit a 256-byte buffer.
    let s = core.server.stats();
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        counters(
            o,
            b"{",
            &[
                ("sessions_open", s.sessions_open),
                ("sessions_total", s.sessions_total),
                ("sessions_refused", s.sessions_refused),
                ("sessions_evicted", s.sessions_evicted),
                ("requests", s.requests),
                ("events_sent", s.events_sent),
            ],
        )
    })
    .await?;
    core.emit(io, &mut |o| {
        counters(
            o,
            b",",
            &[
                ("events_dropped", s.events_dropped),
                ("events_coalesced", s.events_coalesced),
                ("auth_failures", s.auth_failures),
                ("parse_errors", s.parse_errors),
                ("bytes_in", s.bytes_in),
                ("bytes_out", s.bytes_out),
            ],
        )?;
        if let Some(started) = s.started_at {
            o.raw(b",\"started_at\":")?;
            o.timestamp(started)?;
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
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
    registry.find(name).ok_or(Stop::Answer(ErrorCode::NotFound, msg!("record '", name, "' not found")))
}

/// `record.list`, streamed record by record: no buffer holds the whole reply.
async fn list<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    id: u64,
) -> Answered<'static> {
    let wire = core.wire();
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"[")
    })
    .await?;
    let registry = core.server.registry;
    let created_at = core.server.created_at();
    for (i, record) in registry.iter().enumerate() {
        let info = record.info();
        let last_update = info.last_update.map(|t| core.server.stamp(t));
        core.emit(io, &mut |o| list_entry_head(o, i, record)).await?;
        core.emit(io, &mut |o| {
            let meta = record.meta();
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
            if let Some(t) = last_update {
                o.raw(b",\"last_update\":")?;
                o.timestamp(t)?;
            }
            o.raw(b",\"outbound_connector_count\":0}")
        })
        .await?;
    }
    core.emit(io, &mut |o| {
        o.raw(b"]")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
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

/// Writes `{"id":…,"result":<prefix><value><suffix>}` as one piece, or an
/// error when the record has no value or the value is too large.
async fn reply_with_value<'r, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    id: u64,
    record: &'r dyn AnyRecord,
    wrap: (&[u8], &[u8]),
) -> Answered<'r> {
    let wire = core.wire();
    let mut had_value = true;
    let mut refused = None;
    let fits = core
        .try_emit(io, &mut |o| {
            reply::result_start(o, wire, id)?;
            o.raw(wrap.0)?;
            let at = o.len();
            had_value = record.write_latest(o).inspect_err(|_| refused = o.refused())?;
            // v3 clients cannot read `"ok":null`: a null value is no value.
            if wire.is_v3() && wrap.0.is_empty() && o.as_bytes()[at..] == *b"null" {
                had_value = false;
            }
            if !had_value {
                return Err(Full);
            }
            o.raw(wrap.1)?;
            reply::result_end(o)
        })
        .await?;
    let name = record.meta().name;
    if !had_value {
        answer(ErrorCode::NoValue, msg!("record '", name, "' has no value yet"))
    } else if let Some(why) = refused {
        answer(ErrorCode::InternalError, msg!("the value of '", name, "' has no JSON form: ", why))
    } else if !fits {
        let msg = msg!("the value of '", name, "' does not fit the reply buffer (", OUT, " bytes)");
        answer(ErrorCode::InternalError, msg)
    } else {
        Ok(())
    }
}

async fn get<'a, 'r: 'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let (_, record) = find(&core.server.registry, req)?;
    reply_with_value(core, io, req.id, record, (b"", b"")).await
}

async fn set<'a, 'r: 'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
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
    reply_with_value(core, io, req.id, record, (b"{\"status\":\"success\",\"value\":", b"}")).await
}

async fn subscribe<'a, 'r: 'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let wire = core.wire();
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
    if wire.is_v3() {
        let slot = super::topics::slot_id(id)?;
        if core.subs.has(slot.get()) {
            return answer(ErrorCode::InvalidParams, msg!("subscription id in use"));
        }
        let head = record.attach();
        let base = if send_initial { head.saturating_sub(1) } else { head };
        let pace = interval.map(|interval| (interval, pace::ms(core.server.clock.monotonic())));
        core.subs.add_v3(Sub::new(slot, index as u16, window as u16, base, pace), false);
        core.emit(io, &mut |o| {
            reply::result_start(o, wire, id)?;
            o.raw(b"{\"subscription_id\":\"")?;
            o.u64(id)?;
            o.raw(b"\",\"queue_size\":")?;
            o.u64(window.into())?;
            o.raw(b"}")?;
            reply::result_end(o)
        })
        .await?;
        return Ok(());
    }
    let head = record.attach();
    let base = if send_initial { head.saturating_sub(1) } else { head };
    let now = pace::ms(core.server.clock.monotonic());
    let pace = interval.map(|interval| (interval, now));
    let sub = core
        .subs
        .add(|sub_id| Sub::new(sub_id, index as u16, window as u16, base, pace))
        .expect("room was checked above");
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"{\"subscription_id\":")?;
        reply::subscription_id(o, sub.id.get())?;
        o.raw(b",\"queue_size\":")?;
        o.u64(sub.window().into())?;
        if let Some(interval) = interval {
            o.raw(b",\"min_interval_ms\":")?;
            o.u64(interval.into())?;
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
}

/// `{"record":…,"type_id":…,"schema":…}`; `schema` is `null` when the
/// record publishes none.
async fn schema<'a, 'r: 'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let wire = core.wire();
    let id = req.id;
    let (_, record) = find(&core.server.registry, req)?;
    let meta = record.meta();
    let fits = core
        .try_emit(io, &mut |o| {
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
        })
        .await?;
    if fits {
        Ok(())
    } else {
        let msg = msg!("the schema of '", meta.name, "' does not fit the reply buffer (", OUT, " bytes)");
        answer(ErrorCode::InternalError, msg)
    }
}

async fn unsubscribe<'a, C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let wire = core.wire();
    let id = req.id;
    let Some(sub_id) = req.params.subscription_id else {
        return answer(ErrorCode::InvalidParams, msg!("params.subscription_id is required"));
    };
    #[cfg(feature = "v3")]
    let number = if wire.is_v3() { super::topics::parse_sub(sub_id) } else { reply::parse_subscription_id(sub_id) };
    #[cfg(not(feature = "v3"))]
    let number = reply::parse_subscription_id(sub_id);
    let registry = core.server.registry;
    if !number.is_some_and(|n| core.subs.remove(n, &registry)) {
        return answer(ErrorCode::NotFound, msg!("subscription '", sub_id, "' not found"));
    }
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"{\"subscription_id\":")?;
        o.str(sub_id)?;
        o.raw(b",\"status\":\"cancelled\"}")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
}
