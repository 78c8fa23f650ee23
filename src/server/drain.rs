//! `record.drain`: every value of a record newer than this session's drain
//! cursor for it, in one reply.
//!
//! A session keeps cursors for at most [`DRAIN_CURSORS`] records (a fixed
//! array, most recently drained first). Draining another record forgets the
//! least recently drained one; its next drain starts over. The first drain of
//! a record starts its cursor at the newest value and returns nothing, so a
//! tool polling `record.drain` sees each value once, from its first call on.

use super::dispatch::{answer, find, Answered, Reply};
use super::io::Transport;
use super::session::Core;
use super::SessionEnd;
use crate::record::{AnyRecord, Next};
use crate::runtime::Clock;
use crate::wire::request::Request;
use crate::wire::{reply, ErrorCode, Full};

/// Records per session with a drain cursor.
pub const DRAIN_CURSORS: usize = 4;

/// A session's drain cursors, most recently used first: 8 bytes each.
///
/// Like a subscription's cursor, a drain cursor keeps the low 32 bits of its
/// sequence number and rebuilds the rest from the record's head: exact while
/// it is less than 2³² values behind.
#[derive(Debug)]
pub(crate) struct Drains {
    /// (record index or [`NONE`], low bits of the last sequence drained).
    cursors: [(u16, u32); DRAIN_CURSORS],
}

/// No record: a free cursor.
const NONE: u16 = u16::MAX;

impl Default for Drains {
    fn default() -> Self {
        Drains { cursors: [(NONE, 0); DRAIN_CURSORS] }
    }
}

impl Drains {
    pub(crate) fn clear(&mut self) {
        *self = Drains::default();
    }

    /// The cursor of `record` (whose newest value is `head`), moved to the
    /// front; `None` when it had none (one is made at `head`, evicting the
    /// least recently used when all are taken).
    fn take(&mut self, record: u16, head: u64) -> Option<u64> {
        let found = self.cursors.iter().position(|&(r, _)| r == record);
        let at = found.unwrap_or(DRAIN_CURSORS - 1);
        let seen = found.map(|i| head - u64::from((head as u32).wrapping_sub(self.cursors[i].1)));
        // `rotate_right(1)` of `..=at`, by swaps: `rotate_right` links `memmove`.
        for i in (1..=at).rev() {
            self.cursors.swap(i, i - 1);
        }
        self.cursors[0] = (record, seen.unwrap_or(head) as u32);
        seen
    }

    fn advance(&mut self, seen: u64) {
        self.cursors[0].1 = seen as u32;
    }
}

/// A drain checked and ready to send: the request's id, the record and
/// its index, the most values to send.
pub(crate) struct Plan<'a> {
    pub(crate) id: u64,
    index: u16,
    record: &'a dyn AnyRecord,
    limit: u64,
}

/// Checks a `record.drain` request; its reply is sent by [`send`].
pub(crate) fn plan<'a, 'r: 'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let (index, record) = find(&core.server.registry, req)?;
    let limit = match req.params.limit {
        Some(0) => return answer(ErrorCode::InvalidParams, msg!("limit must be at least 1")),
        Some(n) => u64::from(n),
        None => u64::MAX,
    };
    Ok(Reply::Drain(Plan { id: req.id, index: index as u16, record, limit }))
}

/// `{"record_name":…,"values":[…],"count":n,"dropped":d}`, streamed value
/// by value (the reply may be longer than the buffer). `dropped` counts the
/// values the record no longer held (or that were too large to send);
/// `"more":true` says `limit` stopped it before the newest value.
///
/// Still written through the async `emit`: each value moves the cursor as
/// it is written, so it is not a reply that can simply be written again
/// after a flush (see `dispatch::write`).
pub(crate) async fn send<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    io: &mut T,
    plan: &Plan<'_>,
) -> Result<(), SessionEnd> {
    let wire = core.wire();
    let Plan { id, index, record, limit } = *plan;
    let head = record.info().head;
    let mut seen = core.drains.take(index, head).unwrap_or(head);
    let name = record.meta().name;
    core.emit(io, &mut |o| {
        reply::result_start(o, wire, id)?;
        o.raw(b"{\"record_name\":")?;
        o.str(name)?;
        o.raw(b",\"values\":[")
    })
    .await?;
    let window = record.capacity() as u64;
    // A length-prefixed frame must fit the buffer whole: a value that does
    // not fit beside the ones before it (and the reply's tail) waits for
    // the next drain instead, reported by `more`.
    #[cfg(feature = "v3")]
    let framed = core.out.is_length_prefixed();
    #[cfg(not(feature = "v3"))]
    let framed = false;
    let (mut count, mut dropped, mut more) = (0u64, 0u64, false);
    // Values published while this runs wait for the next drain.
    while seen < head {
        if count == limit {
            more = true;
            break;
        }
        let first = count == 0;
        let mut next = Next::Empty;
        let fits = core
            .try_emit(io, &mut |o| {
                next = record.write_next(seen, window, o, &mut |o, _| if first { Ok(()) } else { o.raw(b",") });
                match next {
                    Next::Full { .. } => Err(Full),
                    // Room for the reply's tail: `],"count":…,"more":true}}`.
                    Next::Wrote { .. } if framed && o.room() < 72 => Err(Full),
                    _ => Ok(()),
                }
            })
            .await?;
        match next {
            Next::Empty => break,
            Next::Wrote { .. } | Next::Full { .. } if !fits && framed && count > 0 => {
                more = true;
                break;
            }
            Next::Wrote { seq, .. } if fits => {
                dropped += seq - seen - 1;
                count += 1;
                seen = seq;
            }
            // Larger than the reply buffer even when it is empty: counted, not sent.
            Next::Wrote { seq, .. } | Next::Full { seq, .. } => {
                dropped += seq - seen;
                seen = seq;
            }
        }
    }
    core.drains.advance(seen);
    core.emit(io, &mut |o| {
        o.raw(b"],\"count\":")?;
        o.u64(count)?;
        o.raw(b",\"dropped\":")?;
        o.u64(dropped)?;
        if more {
            o.raw(b",\"more\":true")?;
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_start_at_head_and_evict_the_least_recently_drained() {
        let mut d = Drains::default();
        assert_eq!(d.take(0, 5), None, "first drain starts at head");
        d.advance(7);
        assert_eq!(d.take(0, 9), Some(7));
        for r in 1..DRAIN_CURSORS as u16 {
            assert_eq!(d.take(r, 1), None);
        }
        // Record 0 is now the least recently drained; one more record evicts it.
        assert_eq!(d.take(0, 9), Some(7), "still held: exactly DRAIN_CURSORS records");
        assert_eq!(d.take(99, 1), None);
        assert_eq!(d.take(1, 3), None, "record 1 was the least recently drained");
        assert_eq!(d.take(0, 9), Some(7));
        d.clear();
        assert_eq!(d.take(0, 9), None);
    }
}
