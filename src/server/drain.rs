//! `record.drain`: every value of a record newer than this session's drain
//! cursor for it, in one reply.
//!
//! A session keeps cursors for at most [`DRAIN_CURSORS`] records (a fixed
//! array, most recently drained first). Draining another record forgets the
//! least recently drained one; its next drain starts over. The first drain of
//! a record starts its cursor at the newest value and returns nothing, so a
//! tool polling `record.drain` sees each value once, from its first call on.

use super::dispatch::{answer, find, Answered, Reply};
use super::io::{Halt, Out, Piece};
use super::session::Core;
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

/// A drain checked and ready to send (the request's id, the record and its
/// index, the most values to send), and how far its reply got: it is
/// written by [`write`] in as many goes as the reply buffer needs.
pub(crate) struct Plan<'a> {
    pub(crate) id: u64,
    index: u16,
    record: &'a dyn AnyRecord,
    limit: u64,
    /// Written so far: nothing, the head, the values (the tail is last).
    stage: Stage,
    /// The record's newest value when the drain started: values published
    /// while it runs wait for the next drain.
    head: u64,
    /// The last value sent, dropped or passed over.
    seen: u64,
    count: u64,
    dropped: u64,
    /// `limit` (or a full length-prefixed frame) stopped it early.
    more: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Head,
    Values,
}

/// Checks a `record.drain` request; its reply is written by [`write`].
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
    let plan = Plan {
        id: req.id,
        index: index as u16,
        record,
        limit,
        stage: Stage::Start,
        head: 0,
        seen: 0,
        count: 0,
        dropped: 0,
        more: false,
    };
    Ok(Reply::Drain(plan))
}

/// `{"record_name":…,"values":[…],"count":n,"dropped":d}`, streamed value
/// by value (the reply may be longer than the buffer). `dropped` counts the
/// values the record no longer held (or that were too large to send);
/// `"more":true` says `limit` stopped it before the newest value.
///
/// Unlike the other replies it is not written again from its start after
/// a flush: each value moves the cursor as it is written, so the plan keeps
/// how far it got, and a call after [`Halt::Flush`] goes on from there.
pub(crate) fn write<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    plan: &mut Plan<'_>,
) -> Result<(), Halt<'a>> {
    let wire = core.wire();
    let (id, record) = (plan.id, plan.record);
    // What does not fit beside what the buffer holds waits for a flush;
    // what does not fit an empty buffer is `Ok(false)`.
    let put = |out: &mut Out<'_, OUT>, f: &mut Piece<'_>| match out.piece(f) {
        Ok(()) => Ok(true),
        Err(_) if out.is_empty() => Ok(false),
        Err(_) => Err(Halt::Flush(0)),
    };
    if plan.stage == Stage::Start {
        plan.head = record.info().head;
        plan.seen = core.drains.take(plan.index, plan.head).unwrap_or(plan.head);
        plan.stage = Stage::Head;
    }
    if plan.stage == Stage::Head {
        let name = record.meta().name;
        let head = put(&mut core.out, &mut |o| {
            reply::result_start(o, wire, id)?;
            o.raw(b"{\"record_name\":")?;
            o.str(name)?;
            o.raw(b",\"values\":[")
        })?;
        if !head {
            return Err(Halt::TooBig);
        }
        plan.stage = Stage::Values;
    }
    let window = record.capacity() as u64;
    // A length-prefixed frame must fit the buffer whole: a value that does
    // not fit beside the ones before it (and the reply's tail) waits for
    // the next drain instead, reported by `more`.
    #[cfg(feature = "v3")]
    let framed = core.out.is_length_prefixed();
    #[cfg(not(feature = "v3"))]
    let framed = false;
    while plan.seen < plan.head && !plan.more {
        if plan.count == plan.limit {
            plan.more = true;
            break;
        }
        let (first, seen) = (plan.count == 0, plan.seen);
        let mut next = Next::Empty;
        let fits = put(&mut core.out, &mut |o| {
            next = record.write_next(seen, window, o, &mut |o, _| if first { Ok(()) } else { o.raw(b",") });
            match next {
                Next::Full { .. } => Err(Full),
                // Room for the reply's tail: `],"count":…,"more":true}}`.
                Next::Wrote { .. } if framed && o.room() < 72 => Err(Full),
                _ => Ok(()),
            }
        })?;
        match next {
            Next::Empty => break,
            Next::Wrote { .. } | Next::Full { .. } if !fits && framed && plan.count > 0 => plan.more = true,
            Next::Wrote { seq, .. } if fits => {
                plan.dropped += seq - seen - 1;
                plan.count += 1;
                plan.seen = seq;
            }
            // Larger than the reply buffer even when it is empty: counted, not sent.
            Next::Wrote { seq, .. } | Next::Full { seq, .. } => {
                plan.dropped += seq - seen;
                plan.seen = seq;
            }
        }
    }
    core.drains.advance(plan.seen);
    let (count, dropped, more) = (plan.count, plan.dropped, plan.more);
    let tail = put(&mut core.out, &mut |o| {
        o.raw(b"],\"count\":")?;
        o.u64(count)?;
        o.raw(b",\"dropped\":")?;
        o.u64(dropped)?;
        if more {
            o.raw(b",\"more\":true")?;
        }
        o.raw(b"}")?;
        reply::result_end(o)
    })?;
    if tail {
        Ok(())
    } else {
        Err(Halt::TooBig)
    }
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
