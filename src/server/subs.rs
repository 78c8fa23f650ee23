//! A session's subscriptions: cursors into records, and the future that
//! wakes the session when any of them has something new.

use core::future::Future;
use core::num::NonZeroU32;
use core::pin::Pin;
use core::task::{Context, Poll};

use maitake_sync::wait_queue::Wait;

use super::pace::{ms, Pace};
use super::session::Core;
use super::SessionEnd;
use crate::record::{Next, Registry};
use crate::runtime::Clock;
use crate::wire::{reply, Wire};

/// One subscription: a cursor into a record's buffer.
///
/// Sequence numbers here are the record's own; the wire shows them relative
/// to `base`, so a subscription's first value is sequence 1.
///
/// 20 bytes on 32-bit targets (a `Sub` is paid `SUBS` times per session):
/// the sequence numbers keep their low 32 bits only and are rebuilt from
/// the record's 64-bit head, which is exact while they are less than 2³²
/// values behind it. So a subscriber more than 2³² values behind has its
/// `dropped` counted modulo 2³², and the wire `sequence` of one subscription
/// wraps after 2³² values (over 13 years at 10 values a second).
///
/// A paced subscription (`max_rate_hz`) sends only the latest value, so it
/// has no queue: its `window` holds the high half of its last send time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sub {
    /// The number in `sub-N`.
    pub(crate) id: NonZeroU32,
    /// Index of the record in the registry.
    pub(crate) record: u16,
    /// How far back this subscriber may lag (its queue size); when paced,
    /// the high 16 bits of [`Pace::sent`].
    window: u16,
    /// The least time between events in ms (0: not paced).
    interval: u16,
    /// When paced: the low 16 bits of [`Pace::sent`].
    sent_low: u16,
    /// The record's sequence just before this subscription's first value.
    base: u32,
    /// The last value delivered (or reported as too large): the cursor.
    delivered: u32,
}

/// A [`Sub`]'s sequence numbers in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) base: u64,
    pub(crate) delivered: u64,
}

impl Sub {
    /// A subscription whose first value is the one after `base`; paced by
    /// `pace` when it is given, able to send at once.
    pub(crate) fn new(id: NonZeroU32, record: u16, window: u16, base: u64, pace: Option<(u16, u32)>) -> Self {
        let mut sub = Sub { id, record, window, interval: 0, sent_low: 0, base: base as u32, delivered: base as u32 };
        if let Some((interval, now)) = pace {
            sub.interval = interval;
            sub.set_pace(Pace::ready_at(interval, now));
        }
        sub
    }

    /// A subscription whose value `head` was already sent (a v3 `snap`):
    /// it counts as this subscription's first value (and, when paced, its
    /// first event: the next waits for the interval).
    #[cfg(feature = "v3")]
    pub(crate) fn snapped(id: NonZeroU32, record: u16, window: u16, head: u64, pace: Option<(u16, u32)>) -> Self {
        let mut sub = Sub { base: head.wrapping_sub(1) as u32, ..Sub::new(id, record, window, head, pace) };
        if let Some((_, now)) = pace {
            sub.take(head, now);
        }
        sub
    }

    /// The sequence numbers in full, given the record's `head` (no sequence
    /// here is ever ahead of it).
    pub(crate) fn cursor(&self, head: u64) -> Cursor {
        let full = |low: u32| head - u64::from((head as u32).wrapping_sub(low));
        Cursor { base: full(self.base), delivered: full(self.delivered) }
    }

    /// The queue size (1 when paced: only the latest value counts).
    pub(crate) fn window(&self) -> u16 {
        if self.interval == 0 {
            self.window
        } else {
            1
        }
    }

    /// The rate limit and last send time, when paced.
    pub(crate) fn pace(&self) -> Option<Pace> {
        (self.interval != 0).then(|| Pace {
            interval: self.interval.into(),
            sent: u32::from(self.window) << 16 | u32::from(self.sent_low),
        })
    }

    fn set_pace(&mut self, pace: Pace) {
        self.window = (pace.sent >> 16) as u16;
        self.sent_low = pace.sent as u16;
    }

    /// Whether the record (now at `head`) has a value this one has not seen.
    fn has_news(&self, head: u64) -> bool {
        head as u32 != self.delivered
    }

    /// `seq` went out at `now` (ms).
    fn take(&mut self, seq: u64, now: u32) {
        self.delivered = seq as u32;
        if let Some(pace) = self.pace() {
            self.set_pace(Pace { sent: now, ..pace });
        }
    }
}

/// Up to `S` subscriptions.
pub(crate) struct Subs<const S: usize> {
    slots: [Option<Sub>; S],
    next_id: NonZeroU32,
    /// Slots that belong to a v3 wildcard subscription: their updates carry
    /// the record's key, and one sequence runs over all slots of the same id.
    #[cfg(feature = "v3")]
    wild: [bool; S],
}

impl<const S: usize> Subs<S> {
    pub(crate) const fn new() -> Self {
        Subs {
            slots: [None; S],
            next_id: NonZeroU32::MIN,
            #[cfg(feature = "v3")]
            wild: [false; S],
        }
    }

    /// Adds a v3 subscription slot (its id is the client's); `false` when
    /// all slots are used.
    #[cfg(feature = "v3")]
    pub(crate) fn add_v3(&mut self, sub: Sub, wild: bool) -> bool {
        let Some(i) = self.slots.iter().position(Option::is_none) else { return false };
        self.slots[i] = Some(sub);
        self.wild[i] = wild;
        true
    }

    /// Free slots.
    #[cfg(feature = "v3")]
    pub(crate) fn free(&self) -> usize {
        self.slots.iter().filter(|s| s.is_none()).count()
    }

    /// Whether a subscription `id` exists.
    #[cfg(feature = "v3")]
    pub(crate) fn has(&self, id: u32) -> bool {
        self.slots.iter().flatten().any(|sub| sub.id.get() == id)
    }

    /// Adds a subscription built from its id; `None` when all slots are used.
    pub(crate) fn add(&mut self, make: impl FnOnce(NonZeroU32) -> Sub) -> Option<Sub> {
        let i = self.slots.iter().position(Option::is_none)?;
        #[cfg(feature = "v3")]
        {
            self.wild[i] = false;
        }
        let slot = &mut self.slots[i];
        let sub = make(self.next_id);
        self.next_id = self.next_id.checked_add(1).unwrap_or(NonZeroU32::MIN);
        *slot = Some(sub);
        Some(sub)
    }

    /// Whether any subscription is paced: only they look at the time, so
    /// without one a session reads no clock to wait or deliver. Always
    /// `true` on 32-bit targets: an MCU's clock is a register read, and the
    /// check cost ~200 B of flash there.
    pub(crate) fn paced(&self) -> bool {
        !cfg!(target_pointer_width = "64") || self.slots.iter().flatten().any(|sub| sub.interval != 0)
    }

    /// Whether there is no subscription.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Whether another subscription fits.
    pub(crate) fn has_room(&self) -> bool {
        self.slots.iter().any(Option::is_none)
    }

    /// Removes subscription `id` (every slot of it: a v3 wildcard has
    /// several), detaching it from its records.
    pub(crate) fn remove(&mut self, id: u32, registry: &Registry) -> bool {
        let mut found = false;
        for slot in self.slots.iter_mut().filter(|s| matches!(s, Some(sub) if sub.id.get() == id)) {
            if let Some(sub) = slot.take() {
                if let Some(record) = registry.get(sub.record.into()) {
                    record.detach();
                }
            }
            found = true;
        }
        found
    }

    /// Ends every subscription (a session restart or end).
    pub(crate) fn clear(&mut self, registry: &Registry) {
        for sub in self.slots.iter_mut().filter_map(Option::take) {
            if let Some(record) = registry.get(sub.record.into()) {
                record.detach();
            }
        }
        self.next_id = NonZeroU32::MIN;
    }

    /// How long (ms from `now`) until a subscription may send a value it
    /// has not sent: 0 when one may now, `None` when none has news. A paced
    /// one may once its interval is over: the session sets its one timer
    /// for the first of them.
    #[inline(never)]
    pub(crate) fn soonest(&self, registry: &Registry, now: u32) -> Option<u32> {
        self.slots
            .iter()
            .flatten()
            .filter(|sub| registry.get(sub.record.into()).is_some_and(|record| sub.has_news(record.newest_seq())))
            .map(|sub| sub.pace().map_or(0, |pace| pace.wait(now)))
            .min()
    }

    /// Completes when a subscription may send a value now, or may sooner
    /// than `horizon` ms from `now` (the session's timer), so that the
    /// session sets its timer again.
    pub(crate) fn ready<'a, 'r>(&'a self, registry: &'a Registry<'r>, now: u32, horizon: u32) -> Ready<'a, 'r, S> {
        Ready { subs: self, registry, now, horizon, waits: [const { None }; S] }
    }
}

/// Waits on the wait queue of every subscribed record at once.
///
/// Each poll first registers with every queue, then checks the cursors, so
/// a publish between the check and the next poll still wakes the session.
pub(crate) struct Ready<'a, 'r, const S: usize> {
    subs: &'a Subs<S>,
    registry: &'a Registry<'r>,
    now: u32,
    horizon: u32,
    waits: [Option<Wait<'r>>; S],
}

impl<const S: usize> Future for Ready<'_, '_, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waits` is structurally pinned. Its elements are only ever
        // replaced in place through `Pin::set` or dropped with `self`; nothing
        // is moved out of it, and `Ready` has no `Unpin` impl of its own.
        let this = unsafe { self.get_unchecked_mut() };
        // No subscription (a session that only sends requests): nothing to
        // look at on each of its wakes. Hosts only: MCUs keep less code.
        if cfg!(target_pointer_width = "64") && this.subs.is_empty() {
            return Poll::Pending;
        }
        // Woken by a publish, with a value now due: done, without waiting
        // on the queues again (a wait armed now would be unlinked again at
        // once when this future is dropped, each a lock on the queue that
        // every subscriber of the record shares).
        let mut woken = false;
        for wait in this.waits.iter_mut() {
            // SAFETY: see above; `wait` points into the pinned array.
            let mut wait = unsafe { Pin::new_unchecked(wait) };
            if wait.as_mut().as_pin_mut().is_some_and(|w| w.poll(cx).is_ready()) {
                wait.set(None);
                woken = true;
            }
        }
        if woken && this.due() {
            return Poll::Ready(());
        }
        for (sub, wait) in this.subs.slots.iter().zip(this.waits.iter_mut()) {
            let Some(sub) = sub else { continue };
            let Some(record) = this.registry.get(sub.record.into()) else { continue };
            // SAFETY: see above; `wait` points into the pinned array.
            let mut wait = unsafe { Pin::new_unchecked(wait) };
            // A wait still armed was polled above, with this waker.
            while wait.is_none() {
                wait.set(Some(record.wait_queue().wait()));
                if let Some(w) = wait.as_mut().as_pin_mut() {
                    // Woken at once: arm a fresh wait so the next publish
                    // is caught too.
                    if w.poll(cx).is_ready() {
                        wait.set(None);
                    }
                }
            }
        }
        // Checked after every queue is waited on, so a publish between the
        // check and the next poll still wakes the session.
        if this.due() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<const S: usize> Ready<'_, '_, S> {
    /// Whether a subscription may send now, or sooner than the session's
    /// timer. The time the wait began is enough: a value that was held then
    /// is the timer's, and one that arrived since is compared by when its
    /// interval ends, which does not move.
    fn due(&self) -> bool {
        // Without a paced subscription (on a host: MCUs always take the
        // general check) a value is due as soon as there is one.
        if !self.subs.paced() {
            let registry = self.registry;
            return (self.subs.slots.iter().flatten())
                .any(|sub| registry.get(sub.record.into()).is_some_and(|r| sub.has_news(r.newest_seq())));
        }
        self.subs.soonest(self.registry, self.now).is_some_and(|w| w == 0 || w < self.horizon)
    }
}

/// Where a run of delivery rounds stands, so that it goes on where it
/// stopped after a flush.
pub(crate) struct Rounds {
    /// Rounds finished.
    round: u8,
    /// The next subscription of this round.
    next: u16,
    /// Whether this round delivered anything a next round may follow.
    any: bool,
    /// Whether a subscription was paced at the start of this round.
    paced: bool,
    /// When the session last looked before this round (see `Core::looked`).
    looked: u32,
    /// Events written since the shared `events_sent` counter was bumped:
    /// bumped once per call of `deliver`, not once per event (every
    /// session's events moved that counter's cache line between cores).
    sent: u32,
}

impl Rounds {
    pub(crate) const fn new() -> Self {
        Rounds { round: 0, next: 0, any: false, paced: false, looked: 0, sent: 0 }
    }
}

impl<C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Core<'_, '_, C, SUBS, LINE, OUT> {
    /// Up to `rounds` rounds of at most one event per subscription, into
    /// the reply buffer, without waiting: `true` when the buffer must be
    /// flushed first (it is full, or the peer is slow and the event just
    /// written goes out before the next is chosen); called again after the
    /// flush, it goes on where it stopped. A subscription whose event did
    /// not fit is tried again then, its value chosen anew.
    pub(crate) fn deliver(&mut self, at: &mut Rounds, rounds: u8) -> Result<bool, SessionEnd> {
        let flush = self.rounds(at, rounds);
        if cfg!(target_pointer_width = "64") && at.sent != 0 {
            self.server.count().events_sent.add(at.sent.into());
            at.sent = 0;
        }
        flush
    }

    /// [`Self::deliver`] but for the shared count of events sent, kept in `at`.
    #[inline(always)]
    fn rounds(&mut self, at: &mut Rounds, rounds: u8) -> Result<bool, SessionEnd> {
        while at.round < rounds {
            if at.next == 0 {
                // Every subscription is looked at in this round: a value
                // that becomes due from now on and is not sent was missed
                // (see `Pace::split`). Unpaced subscriptions never use it:
                // no clock read for them. (A paced one added meanwhile sees
                // a `looked` from before it existed, which `Pace::split`
                // treats exactly as a newer one from before, within the
                // ~49 days a u32 of milliseconds spans.)
                at.looked = self.looked;
                at.paced = self.subs.paced();
                if at.paced {
                    self.looked = ms(self.server.clock.monotonic());
                }
                at.any = false;
            }
            while usize::from(at.next) < SUBS {
                match self.deliver_one(at.next.into(), at.looked) {
                    Delivered::Nothing => {}
                    Delivered::One { more, event } => {
                        // Counted once per call on hosts (see `Rounds::sent`);
                        // an MCU has one core, and keeps less code.
                        if cfg!(target_pointer_width = "64") {
                            at.sent += u32::from(event);
                        } else if event {
                            self.server.count().events_sent.add(1);
                        }
                        // Another round only for a subscription that had
                        // more than this one value when it was chosen: a
                        // value published since wakes the session anyway
                        // (its wait looks again once armed). Paced ones
                        // always go on: a round after a slow write is what
                        // sees their values that fell due meanwhile as
                        // missed (`dropped`), where a wait would not.
                        // (MCUs always go on, as paced ones: less code.)
                        at.any |= more || at.paced || !cfg!(target_pointer_width = "64");
                        if self.slow {
                            // The peer is slow: send this one before
                            // choosing the next.
                            at.next += 1;
                            return Ok(true);
                        }
                    }
                    Delivered::Full => return Ok(true),
                    Delivered::TooBig => return Err(SessionEnd::WriteError(embedded_io_async::ErrorKind::OutOfMemory)),
                }
                at.next += 1;
            }
            at.next = 0;
            at.round += 1;
            if !at.any {
                break;
            }
        }
        at.round = rounds;
        Ok(false)
    }

    /// Writes subscription `i`'s next event (or its too-large marker) into
    /// the reply buffer, if it has one due.
    fn deliver_one(&mut self, i: usize, looked: u32) -> Delivered {
        let Some(sub) = self.subs.slots[i] else { return Delivered::Nothing };
        let Some(record) = self.server.registry.get(sub.record.into()) else { return Delivered::Nothing };
        let head = record.newest_seq();
        // Nothing new: no clock read, no ring read (which takes the lock).
        if !sub.has_news(head) {
            return Delivered::Nothing;
        }
        let cursor = sub.cursor(head);
        let wire = self.wire();
        let name = record.meta().name;
        let pace = sub.pace();
        let now = if pace.is_some() { ms(self.server.clock.monotonic()) } else { 0 };
        // A paced subscription sends only the latest value, once its
        // interval is over; the others the oldest value in their window.
        let after = match pace {
            None => cursor.delivered,
            Some(pace) if pace.wait(now) > 0 => return Delivered::Nothing,
            Some(_) => head - 1,
        };
        // The values passed over before the one chosen: (dropped, coalesced).
        let mut passed = (0, 0);
        let mut next = Next::Empty;
        let subs = &self.subs;
        let registry = &self.server.registry;
        let wrote = self.out.piece(&mut |o| {
            let head = &mut |o: &mut crate::wire::JsonOut, seq| {
                let skipped = seq - cursor.delivered - 1;
                passed = pace.map_or((skipped, 0), |pace| pace.split(skipped, now, looked));
                let (label, offset, how) = subs.tag(wire, registry, i, &sub, name);
                reply::event_start(o, wire, label, offset + seq - cursor.base, how)
            };
            // On 64-bit hosts the record writes the timestamp member too,
            // kept with the value's JSON: formatted once per value, not
            // once per subscriber (but for a value stamped zero).
            #[cfg(target_pointer_width = "64")]
            let (written, stamped) = (record.write_next_stamped(after, sub.window().into(), o, head), true);
            #[cfg(not(target_pointer_width = "64"))]
            let (written, stamped) = (record.write_next(after, sub.window().into(), o, head), false);
            next = written;
            match next {
                Next::Wrote { timestamp, .. } if stamped && timestamp != crate::Timestamp::ZERO => {
                    reply::event_close(o, wire, passed.0, passed.1)
                }
                Next::Wrote { timestamp, .. } => {
                    reply::event_end(o, wire, self.server.stamp(timestamp), passed.0, passed.1)
                }
                Next::Empty => Ok(()),
                Next::Full { .. } => Err(crate::wire::Full),
            }
        });
        let (seq, timestamp) = match next {
            Next::Empty => return Delivered::Nothing,
            Next::Wrote { seq, timestamp } | Next::Full { seq, timestamp } => (seq, timestamp),
        };
        if wrote.is_err() && !self.out.is_empty() {
            // Flushed first, then chosen again: a paced value is then the
            // latest at that time.
            return Delivered::Full;
        }
        let (mut dropped, coalesced) = passed;
        let slot = self.subs.slots[i].as_mut().expect("subscription vanished mid-delivery");
        slot.take(seq, now);
        let count = self.server.count();
        // More to send after this one (as of `head`, read before choosing).
        let more = seq < head;
        if wrote.is_ok() {
            // Shared by every session: no atomic add of nothing (and
            // `events_sent` is added once per delivery, by `deliver`).
            if dropped | coalesced != 0 {
                count.events_dropped.add(dropped);
                count.events_coalesced.add(coalesced);
            }
            return Delivered::One { more, event: true };
        }
        // The value cannot fit the reply buffer. Say so now, in its place:
        // an event with `"data":null`, `"skipped":"too_large"` and a
        // `dropped` that counts this value too, so a client learns of it
        // even if no later value ever fits.
        dropped += 1;
        count.events_dropped.add(dropped);
        count.events_coalesced.add(coalesced);
        let stamp = self.server.stamp(timestamp);
        let (label, offset, how) = self.subs.tag(wire, &self.server.registry, i, &sub, name);
        // The buffer is empty here, and the marker is small: no wait.
        match self.out.piece(&mut |o| {
            reply::event_start(o, wire, label, offset + seq - cursor.base, how)?;
            o.raw(b"null,\"skipped\":\"too_large\"")?;
            reply::event_end(o, wire, stamp, dropped, coalesced)
        }) {
            Ok(()) => Delivered::One { more, event: false },
            Err(_) => Delivered::TooBig,
        }
    }
}

/// What `deliver_one` did.
enum Delivered {
    /// Nothing was due.
    Nothing,
    /// One event (`event`) or its too-large marker went into the buffer;
    /// `more`: the record held newer values than it then.
    One { more: bool, event: bool },
    /// The event due does not fit beside what the buffer holds.
    Full,
    /// Not even its too-large marker fits an empty buffer.
    TooBig,
}

impl<const S: usize> Subs<S> {
    /// How slot `i`'s updates are labelled: the id on the wire, what its
    /// sequence adds to this record's count, and the v3 tag. A v3 wildcard
    /// runs one sequence over its records: the values the other slots of the
    /// same id took so far (delivered or dropped) come first. Inlined on
    /// 64-bit hosts: a v1 event's tag is its id alone, once per event.
    #[cfg_attr(target_pointer_width = "64", inline)]
    fn tag<'n>(
        &self,
        wire: Wire,
        registry: &Registry,
        i: usize,
        sub: &Sub,
        name: &'n str,
    ) -> (u64, u64, reply::Update<'n>) {
        let id = u64::from(sub.id.get());
        #[cfg(feature = "v3")]
        if wire.is_v3() {
            return self.tag_v3(registry, i, sub, name);
        }
        let _ = (wire, registry, i, name);
        (id, 0, reply::Update::Event)
    }

    /// [`Self::tag`] of a v3 slot (inlined there on MCUs: one function).
    #[cfg(feature = "v3")]
    #[cfg_attr(not(target_pointer_width = "64"), inline(always))]
    fn tag_v3<'n>(&self, registry: &Registry, i: usize, sub: &Sub, name: &'n str) -> (u64, u64, reply::Update<'n>) {
        let id = u64::from(sub.id.get());
        if !self.wild[i] {
            return (id - 1, 0, reply::Update::Event);
        }
        let others = (self.slots.iter().enumerate())
            .filter_map(|(j, s)| s.filter(|s| j != i && s.id == sub.id))
            .filter_map(|s| registry.get(s.record.into()).map(|r| s.cursor(r.newest_seq())))
            .map(|c| c.delivered - c.base)
            .sum();
        (id - 1, others, reply::Update::Tagged(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> NonZeroU32 {
        NonZeroU32::MIN
    }

    #[test]
    fn a_cursor_costs_20_bytes() {
        // Two u32s, a u32 id with a niche for `Option`, four u16s.
        assert_eq!(core::mem::size_of::<Option<Sub>>(), 20);
    }

    #[test]
    fn sequences_are_rebuilt_from_the_head() {
        let mut sub = Sub::new(id(), 0, 16, 41, None);
        assert_eq!(sub.cursor(50), Cursor { base: 41, delivered: 41 });
        assert!(sub.has_news(42) && !sub.has_news(41));
        sub.take(47, 0);
        assert_eq!(sub.cursor(47), Cursor { base: 41, delivered: 47 });
        assert!(!sub.has_news(47));
        assert_eq!((sub.window(), sub.pace()), (16, None));
    }

    #[test]
    fn a_paced_cursor_keeps_its_send_time_in_full() {
        let now = 0x1234_5678;
        let mut sub = Sub::new(id(), 3, 16, 41, Some((250, now)));
        assert_eq!(sub.window(), 1, "latest value only");
        assert_eq!(sub.pace(), Some(Pace { interval: 250, sent: now - 250 }));
        sub.take(42, 0xfedc_ba98);
        assert_eq!(sub.pace(), Some(Pace { interval: 250, sent: 0xfedc_ba98 }));
        assert_eq!((sub.cursor(42), sub.record), (Cursor { base: 41, delivered: 42 }, 3));
    }

    #[test]
    fn sequences_past_32_bits_stay_exact_near_the_head() {
        let base = (7u64 << 32) - 3;
        let mut sub = Sub::new(id(), 0, 16, base, None);
        // The head crossed a 2^32 boundary since the subscription began.
        let head = base + 10;
        assert_eq!(sub.cursor(head), Cursor { base, delivered: base });
        sub.take(base + 6, 0);
        assert_eq!(sub.cursor(head), Cursor { base, delivered: base + 6 });
        assert!(sub.has_news(head));
        // Far along: delivered exact, `base` (and so the wire sequence)
        // taken modulo 2^32.
        let far = base + (5u64 << 32) + 100;
        sub.take(far - 2, 0);
        let c = sub.cursor(far);
        assert_eq!(c.delivered, far - 2);
        assert_eq!(far - 2 - c.base, (far - 2 - base) % (1 << 32));
    }
}
