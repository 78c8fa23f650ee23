//! `graph.nodes`, `graph.edges`, `graph.topo_order`: the records as a
//! dataflow graph, in the shapes AimDB's tools read.
//!
//! Records here have no transforms between them, so the only edges are a
//! record's inbound origin (a local source or a link) and the topological
//! order is the registry's order. Each reply is streamed record by record.

use super::dispatch::write_origin;
use super::io::{Halt, Sink};
use super::Server;
use crate::record::{AnyRecord, BufferType, Origin};
use crate::runtime::Clock;
use crate::wire::{reply, Full, JsonOut, Wire};

/// Which of the three methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graph {
    Nodes,
    Edges,
    TopoOrder,
}

/// Writes the reply to `which` (see `dispatch::write`).
pub(crate) fn write<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    s: &mut Sink<'_, '_, OUT>,
    wire: Wire,
    id: u64,
    which: Graph,
) -> Result<(), Halt<'a>> {
    s.piece(&mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"[")
    })?;
    // Whether a record came before that wrote something: known without
    // writing (a passive record has no edge), so a piece skipped when the
    // reply is written again after a flush still counts.
    let mut first = true;
    for record in server.registry.iter() {
        let wrote = which != Graph::Edges || record.meta().origin != Origin::Passive;
        if wrote {
            s.piece(&mut |o| {
                if !first {
                    o.raw(b",")?;
                }
                match which {
                    Graph::Nodes => node(o, record),
                    Graph::Edges => edge(o, record),
                    Graph::TopoOrder => o.str(record.meta().name),
                }
            })?;
        }
        first &= !wrote;
    }
    s.piece(&mut |o| {
        o.raw(b"]")?;
        reply::result_end(o)
    })
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

/// The inbound edge of a record (not called for a passive one, which has
/// none: it is written only through `record.set` or local code on demand).
fn edge(o: &mut JsonOut, record: &dyn AnyRecord) -> Result<(), Full> {
    let meta = record.meta();
    o.raw(b"{\"from\":null,\"to\":")?;
    o.str(meta.name)?;
    o.raw(b",\"edge_type\":")?;
    match meta.origin {
        Origin::Link { protocol, .. } => {
            o.raw(b"{\"link\":{\"protocol\":")?;
            o.str(protocol)?;
            o.raw(b"}}")?;
        }
        _ => o.raw(b"\"source\"")?,
    }
    o.raw(b"}")
}
