//! The v3 frames that are not calls: `sub` (exact keys and `*`/`#`
//! patterns, with a `snap` burst for late joiners), `unsub` and `write`.
//! They reuse the v1 machinery: a subscription is cursors in [`Subs`]
//! (one per matched record), a write is `record.set` without a reply.
//!
//! [`Subs`]: super::subs::Subs

use core::num::NonZeroU32;

use super::dispatch::{answer, find, Answered, Reply};
use super::io::Halt;
use super::pace;
use super::session::Core;
use super::subs::Sub;
use super::Policy;
use crate::runtime::Clock;
use crate::wire::request::Request;
use crate::wire::{reply, ErrorCode, JsonOut, Update};

/// The most dot segments a key has (a name is at most 64 bytes).
const SEGMENTS: usize = crate::wire::request::NAME_MAX / 2 + 1;

/// Whether `topic` is a pattern: a `*` (one segment) or `#` (zero or more)
/// segment anywhere.
pub(crate) fn is_pattern(topic: &str) -> bool {
    topic.split('.').any(|s| s == "*" || s == "#")
}

/// Whether `key` matches `pattern`, segment by segment. Dynamic programming
/// over the key's segments (not backtracking), so a pattern full of `#`
/// costs `O(pattern × key)`, never more.
pub(crate) fn matches(pattern: &str, key: &str) -> bool {
    let mut keys = [""; SEGMENTS];
    let mut n = 0;
    for seg in key.split('.') {
        if n == SEGMENTS {
            return false;
        }
        keys[n] = seg;
        n += 1;
    }
    // `at[j]`: the pattern so far matches the first `j` key segments.
    let mut at = [false; SEGMENTS + 1];
    at[0] = true;
    for p in pattern.split('.') {
        if p == "#" {
            for j in 1..=n {
                at[j] |= at[j - 1];
            }
        } else {
            for j in (1..=n).rev() {
                at[j] = at[j - 1] && (p == "*" || p == keys[j - 1]);
            }
            at[0] = false;
        }
    }
    at[n]
}

/// The slot id of v3 subscription `id`: kept in 32 bits, plus one so that
/// 0 is a valid id.
pub(crate) fn slot_id(id: u64) -> Result<NonZeroU32, super::dispatch::Stop<'static>> {
    match u32::try_from(id).ok().and_then(|id| NonZeroU32::new(id.wrapping_add(1))) {
        Some(slot) => Ok(slot),
        None => Err(super::dispatch::Stop::Answer(
            ErrorCode::InvalidParams,
            msg!("a subscription id must be below 4294967295"),
        )),
    }
}

/// The slot id of the v3 subscription named `sub` (its id in decimal, as
/// written in updates: no sign, no leading zero).
pub(crate) fn parse_sub(sub: &str) -> Option<u32> {
    let canonical =
        !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_digit()) && !(sub.len() > 1 && sub.starts_with('0'));
    sub.parse::<u32>().ok().filter(|_| canonical).and_then(|n| n.checked_add(1))
}

/// `{"t":"sub","id":N,"topic":K}`: no reply when accepted; refused with a
/// reply to `N`. An exact key's first event is its current value; a pattern
/// sends one `snap` per matched record that has a value (the last one with
/// `last:true`), then events tagged with `topic`. A pattern that matches no
/// record is accepted with no frames at all (as AimDB), and takes no slot.
pub(crate) fn subscribe<'a, 'r: 'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, 'r, C, SUBS, LINE, OUT>,
    req: &'a Request<'_>,
) -> Answered<'a> {
    let id = slot_id(req.id)?;
    if core.subs.has(id.get()) {
        return answer(ErrorCode::InvalidParams, msg!("subscription id in use"));
    }
    let topic = req.params.record_name().unwrap_or("");
    let registry = core.server.registry;
    // A rate limit paces every record the subscription covers.
    let pace = match pace::interval(&req.params) {
        Ok(interval) => interval.map(|interval| (interval, pace::ms(core.server.clock.monotonic()))),
        Err(why) => return answer(ErrorCode::InvalidParams, why),
    };
    if !is_pattern(topic) {
        let (index, record) = find(&registry, req)?;
        if core.subs.free() == 0 {
            return answer(ErrorCode::TooManySubscriptions, msg!("at most ", SUBS, " subscriptions per session"));
        }
        let window = record.capacity().min(u16::MAX.into()) as u16;
        let base = record.attach().saturating_sub(1);
        core.subs.add_v3(Sub::new(id, index as u16, window, base, pace), false);
        return Ok(Reply::Nothing);
    }
    let matched = registry.iter().filter(|r| matches(topic, r.meta().name)).count();
    if matched > core.subs.free() {
        let free = core.subs.free();
        return answer(
            ErrorCode::TooManySubscriptions,
            msg!("pattern matches ", matched, " records; free slots: ", free),
        );
    }
    // Cursors first (so nothing published from here on is missed), then
    // the snapshot of every matched record that has a value.
    let mut snaps = 0usize;
    for (index, record) in registry.iter().enumerate().filter(|(_, r)| matches(topic, r.meta().name)) {
        let window = record.capacity().min(u16::MAX.into()) as u16;
        let head = record.attach();
        let sub = if head > 0 {
            Sub::snapped(id, index as u16, window, head, pace)
        } else {
            Sub::new(id, index as u16, window, head, pace)
        };
        core.subs.add_v3(sub, true);
        snaps += usize::from(head > 0);
    }
    Ok(Reply::Snaps { label: req.id, topic, snaps, at: Snapped::default() })
}

/// How far a pattern subscription's `snap` burst got: the next record to
/// look at, and the snaps written.
#[derive(Clone, Copy, Default)]
pub(crate) struct Snapped {
    next: u16,
    seq: u16,
}

/// The `snap` burst of a pattern subscription: one per matched record that
/// has a value, the last with `last:true`. Each snap moves `at` as it is
/// written, so a call after [`Halt::Flush`] goes on from there.
pub(crate) fn snaps<'a, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    label: u64,
    topic: &str,
    snaps: usize,
    at: &mut Snapped,
) -> Result<(), Halt<'a>> {
    let registry = core.server.registry;
    let wire = core.wire();
    for (i, record) in registry.iter().enumerate().skip(at.next.into()) {
        if matches(topic, record.meta().name) && record.info().head > 0 {
            let seq = u64::from(at.seq) + 1;
            let name = record.meta().name;
            let stamp = core.server.stamp(record.info().last_update.unwrap_or_default());
            let how = Update::Snap(name, seq as usize == snaps);
            let snap = |o: &mut JsonOut, value: bool| {
                reply::event_start(o, wire, label, seq, how)?;
                if !value {
                    // Too large for the reply buffer: said in its place, as events do.
                    o.raw(b"null,\"skipped\":\"too_large\"")?;
                } else if !record.write_newest(o)? {
                    o.raw(b"null")?;
                }
                reply::event_end(o, wire, stamp, 0, 0)
            };
            if core.out.piece(&mut |o| snap(o, true)).is_err() {
                if !core.out.is_empty() {
                    return Err(Halt::Flush(0));
                }
                core.out.piece(&mut |o| snap(o, false)).map_err(|_| Halt::TooBig)?;
            }
            at.seq += 1;
        }
        at.next = i as u16 + 1;
    }
    Ok(())
}

/// `{"t":"unsub","sub":"N"}`: ends subscription `N`; an unknown one is
/// ignored (v3 never answers it).
pub(crate) fn unsubscribe<C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    req: &Request<'_>,
) {
    let sub = req.params.subscription_id.unwrap_or("");
    let canonical =
        !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_digit()) && !(sub.len() > 1 && sub.starts_with('0'));
    if let Some(id) = sub.parse::<u32>().ok().filter(|_| canonical).and_then(|n| n.checked_add(1)) {
        let registry = core.server.registry;
        core.subs.remove(id, &registry);
    }
}

/// `{"t":"write","topic":K,"payload":V}`: `record.set` with no reply. What
/// would have been refused (read-only, unknown, not writable, bad value) is
/// dropped, as AimDB does: v3 has no frame to say so. A client that needs
/// to know sends `record.set` instead.
pub(crate) fn write<C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    core: &mut Core<'_, '_, C, SUBS, LINE, OUT>,
    req: &mut Request<'_>,
) -> Result<(), super::SessionEnd> {
    let value = req.value.take();
    let registry = core.server.registry;
    let record = req.params.record_name().and_then(|name| registry.find(name)).map(|(_, r)| r);
    if let (Some(record), Some(value)) = (record, value) {
        if core.server.config.policy == Policy::ReadWrite && record.meta().writable {
            let _ = record.set_json(value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_is_one_segment_hash_is_any_number() {
        for (p, k, want) in [
            ("sensor.#", "sensor.temperature", true),
            ("sensor.#", "sensor", true),
            ("sensor.#", "sensor.a.b", true),
            ("#", "a.b.c", true),
            ("*", "a", true),
            ("*", "a.b", false),
            ("sensor.*", "sensor.temperature", true),
            ("sensor.*", "sensor.a.b", false),
            ("*.temperature", "sensor.temperature", true),
            ("a.#.z", "a.z", true),
            ("a.#.z", "a.b.c.z", true),
            ("a.#.z", "a.b.c", false),
            ("#.#.#.#.#.#.#.#.#.#.#.#.x", "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.y", false),
            ("exact.key", "exact.key", true),
            ("exact.key", "exact.keys", false),
        ] {
            assert_eq!(matches(p, k), want, "{p} vs {k}");
        }
        assert!(is_pattern("a.*") && is_pattern("#") && !is_pattern("a.b*") && !is_pattern("a.b"));
    }
}
