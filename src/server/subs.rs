//! A session's subscriptions: cursors into records, and the future that
//! wakes the session when any of them has something new.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use maitake_sync::wait_queue::Wait;

use super::io::Transport;
use super::session::Core;
use super::SessionEnd;
use crate::record::{Next, Registry};
use crate::runtime::Clock;
use crate::wire::reply;

/// One subscription: a cursor into a record's buffer.
///
/// Sequence numbers here are the record's own; the wire shows them relative
/// to `base`, so a subscription's first value is sequence 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sub {
    /// The number in `sub-N`.
    pub(crate) id: u32,
    /// Index of the record in the registry.
    pub(crate) record: u16,
    /// How far back this subscriber may lag (its queue size).
    pub(crate) window: u32,
    /// The record's sequence just before this subscription's first value.
    pub(crate) base: u64,
    /// The last value taken from the buffer (delivered or skipped).
    pub(crate) seen: u64,
    /// The last value delivered; `dropped` is measured from here.
    pub(crate) delivered: u64,
}

/// Up to `S` subscriptions.
pub(crate) struct Subs<const S: usize> {
    slots: [Option<Sub>; S],
    next_id: u32,
}

impl<const S: usize> Subs<S> {
    pub(crate) const fn new() -> Self {
        Subs { slots: [None; S], next_id: 1 }
    }

    /// Adds a subscription built from its id; `None` when all slots are used.
    pub(crate) fn add(&mut self, make: impl FnOnce(u32) -> Sub) -> Option<Sub> {
        let slot = self.slots.iter_mut().find(|s| s.is_none())?;
        let sub = make(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        *slot = Some(sub);
        Some(sub)
    }

    /// Whether another subscription fits.
    pub(crate) fn has_room(&self) -> bool {
        self.slots.iter().any(Option::is_none)
    }

    /// Removes subscription `id`, detaching it from its record.
    pub(crate) fn remove(&mut self, id: u32, registry: &Registry) -> bool {
        let Some(slot) = self.slots.iter_mut().find(|s| matches!(s, Some(sub) if sub.id == id)) else {
            return false;
        };
        if let Some(sub) = slot.take() {
            if let Some(record) = registry.get(sub.record.into()) {
                record.detach();
            }
        }
        true
    }

    /// Ends every subscription (a session restart or end).
    pub(crate) fn clear(&mut self, registry: &Registry) {
        for sub in self.slots.iter_mut().filter_map(Option::take) {
            if let Some(record) = registry.get(sub.record.into()) {
                record.detach();
            }
        }
        self.next_id = 1;
    }

    fn has_news(&self, registry: &Registry) -> bool {
        self.slots
            .iter()
            .flatten()
            .any(|sub| registry.get(sub.record.into()).is_some_and(|record| record.info().head > sub.seen))
    }

    /// Completes when a subscribed record has a value not yet seen.
    pub(crate) fn ready<'a, 'r>(&'a self, registry: &'a Registry<'r>) -> Ready<'a, 'r, S> {
        Ready { subs: self, registry, waits: [const { None }; S] }
    }
}

/// Waits on the wait queue of every subscribed record at once.
///
/// Each poll first registers with every queue, then checks the cursors, so
/// a publish between the check and the next poll still wakes the session.
pub(crate) struct Ready<'a, 'r, const S: usize> {
    subs: &'a Subs<S>,
    registry: &'a Registry<'r>,
    waits: [Option<Wait<'r>>; S],
}

impl<const S: usize> Future for Ready<'_, '_, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waits` is structurally pinned. Its elements are only ever
        // replaced in place through `Pin::set` or dropped with `self`; nothing
        // is moved out of it, and `Ready` has no `Unpin` impl of its own.
        let this = unsafe { self.get_unchecked_mut() };
        for (sub, wait) in this.subs.slots.iter().zip(this.waits.iter_mut()) {
            let Some(sub) = sub else { continue };
            let Some(record) = this.registry.get(sub.record.into()) else { continue };
            // SAFETY: see above; `wait` points into the pinned array.
            let mut wait = unsafe { Pin::new_unchecked(wait) };
            loop {
                if wait.is_none() {
                    wait.set(Some(record.wait_queue().wait()));
                }
                let Some(w) = wait.as_mut().as_pin_mut() else { break };
                match w.poll(cx) {
                    // Woken: arm a fresh wait so the next publish is caught too.
                    Poll::Ready(_) => wait.set(None),
                    Poll::Pending => break,
                }
            }
        }
        if this.subs.has_news(this.registry) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Core<'_, '_, C, SUBS, LINE, OUT> {
    /// Delivers at most one event per subscription; `Ok(true)` when any was
    /// delivered or skipped (there may be more).
    pub(crate) async fn deliver_round<T: Transport>(&mut self, io: &mut T) -> Result<bool, SessionEnd> {
        let mut any = false;
        for i in 0..SUBS {
            any |= self.deliver_one(io, i).await?;
        }
        Ok(any)
    }

    async fn deliver_one<T: Transport>(&mut self, io: &mut T, i: usize) -> Result<bool, SessionEnd> {
        let Some(sub) = self.subs.slots[i] else { return Ok(false) };
        let Some(record) = self.server.registry.get(sub.record.into()) else { return Ok(false) };
        let mut flushed = false;
        loop {
            let mut next = Next::Empty;
            let wrote = self.out.piece(&mut |o| {
                next = record.write_next(sub.seen, sub.window.into(), o, &mut |o, seq| {
                    reply::event_start(o, sub.id, seq - sub.base)
                });
                match next {
                    Next::Wrote { seq, timestamp } => {
                        reply::event_end(o, self.server.stamp(timestamp), seq - sub.delivered - 1)
                    }
                    Next::Empty => Ok(()),
                    Next::Full { .. } => Err(crate::wire::Full),
                }
            });
            let seq = match next {
                Next::Empty => return Ok(false),
                Next::Wrote { seq, .. } | Next::Full { seq } => seq,
            };
            let slot = self.subs.slots[i].as_mut().expect("subscription vanished mid-delivery");
            if wrote.is_ok() {
                let dropped = seq - slot.delivered - 1;
                slot.seen = seq;
                slot.delivered = seq;
                self.server.count(|s| {
                    s.events_sent += 1;
                    s.events_dropped += dropped;
                });
                return Ok(true);
            }
            if flushed || self.out.is_empty() {
                // The value cannot fit the reply buffer: skip it. The next
                // delivered event counts it in `dropped`.
                slot.seen = seq;
                return Ok(true);
            }
            self.flush(io).await?;
            flushed = true;
        }
    }
}
