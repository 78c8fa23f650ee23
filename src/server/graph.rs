//! `graph.nodes`, `graph.edges`, `graph.topo_order`: the records as a
//! dataflow graph, in the shapes AimDB's tools read.
//!
//! Records here have no transforms between them, so the only edges are a
//! record's inbound origin (a local source or a link) and the topological
//! order is the registry's order. Each reply is streamed record by record.

use super::dispatch::{write_origin, Answered};
use super::io::Transport;
use super::session::Core;
use crate::record::{AnyRecord, BufferType, Origin};
use crate::runtime::Clock;
use crate::wire::{reply, Full, JsonOut};

/// Which of the three methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graph {
    Nodes,
    Edges,
    TopoOrder,
}

pub(crate) async fn graph<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    id: u64,
    which: Graph,
) -> Answered<'static> {
    let wire = core.wire();
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"[")
    })
    .await?;
    let mut first = true;
    for record in core.server.registry.iter() {
        let mut wrote = false;
        core.emit(io, &mut |o| {
            let mark = o.len();
            if !first {
                o.raw(b",")?;
            }
            wrote = match which {
                Graph::Nodes => node(o, record).map(|()| true)?,
                Graph::Edges => edge(o, record)?,
                Graph::TopoOrder => o.str(record.meta().name).map(|()| true)?,
            };
            if !wrote {
                o.truncate(mark);
            }
            Ok(())
        })
        .await?;
        first &= !wrote;
    }
    core.emit(io, &mut |o| {
        o.raw(b"]")?;
        reply::result_end(o)
    })
    .await?;
    Ok(())
}

/// `{"key":…,"origin":…,"buffer_type":…,"buffer_capacity":…,"tap_count":0,"has_outbound_link":false}`;
/// the capacity is `null` for buffers that are not rings.
fn node(o: &mut JsonOut, record: &dyn AnyRecord) -> Result<(), Full> {
    let meta = record.meta();
    o.raw(b"{\"key\":")?;
    o.str(meta.name)?;
    o.raw(b",\"origin\":")?;
    write_origin(o, meta.origin)?;
    o.raw(b",\"buffer_type\":\"")?;
    o.raw(record.buffer_type().as_str().as_bytes())?;
    o.raw(b"\",\"buffer_capacity\":")?;
    match record.buffer_type() {
        BufferType::SpmcRing => o.u64(record.capacity() as u64)?,
        BufferType::SingleLatest | BufferType::Mailbox => o.raw(b"null")?,
    }
    o.raw(b",\"tap_count\":0,\"has_outbound_link\":false}")
}

/// The inbound edge of a record, if it has one: `Ok(false)` for a passive
/// record (written only through `record.set` or local code on demand).
fn edge(o: &mut JsonOut, record: &dyn AnyRecord) -> Result<bool, Full> {
    let meta = record.meta();
    let protocol = match meta.origin {
        Origin::Passive => return Ok(false),
        Origin::Source => None,
        Origin::Link { protocol, .. } => Some(protocol),
    };
    o.raw(b"{\"from\":null,\"to\":")?;
    o.str(meta.name)?;
    o.raw(b",\"edge_type\":")?;
    match protocol {
        None => o.raw(b"\"source\"")?,
        Some(p) => {
            o.raw(b"{\"link\":{\"protocol\":")?;
            o.str(p)?;
            o.raw(b"}}")?;
        }
    }
    o.raw(b"}").map(|()| true)
}
