//! The top-level members of a line, found by the validating pass itself
//! (64-bit hosts): [`scan::validate_members`] reports each member at depth
//! 1 and 2 as it ends, and [`Found`] keeps the spans a request needs, so
//! nothing is scanned twice. An MCU walks the validated line instead
//! ([`super::walk`]): a second pass, but much less code.

use super::{decode, scan_error, Message, ParseError, Top, INVALID_JSON, NOT_AN_OBJECT, PARAM_KEYS, TOP_KEYS};
use crate::wire::scan;

/// Where `params` is in [`TOP_KEYS`].
const PARAMS: usize = 2;

/// The known params members kept in order; more fall back to a walk.
const PARAMS_KEPT: usize = 8;

type Span = core::ops::Range<usize>;

/// Validates `line`, cuts out its top-level members and decodes them.
#[inline(always)] // into `parse`, as before the walk existed (no copy of `Top`)
pub(super) fn message(line: &mut [u8]) -> Result<Option<Message<'_>>, ParseError> {
    // One pass validates the line (its strings' UTF-8 included) and finds
    // the members a request needs; each is then read from its own span.
    let mut found = Found::default();
    let text: &[u8] = line;
    let scanned = scan::validate_members(text, &mut |m| found.member(text, m));
    if let Err(e) = scanned {
        return Err(scan_error(line, e));
    }
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(NOT_AN_OBJECT);
    }
    if found.bad_key {
        // A key with an escape that decodes to no character.
        return Err(INVALID_JSON);
    }
    decode(found.top(line))
}

/// Which of `keys` the raw (still escaped) key `raw` is.
#[inline(always)] // hot: every member of every line
fn which(raw: &[u8], keys: &[&str]) -> Option<usize> {
    if escaped(raw) {
        keys.iter().position(|k| scan::key_eq(raw, k))
    } else {
        keys.iter().position(|k| k.as_bytes() == raw)
    }
}

/// Whether raw JSON string text holds an escape.
fn escaped(raw: &[u8]) -> bool {
    crate::wire::swar::find(raw, b'\\').is_some()
}

/// What the validating pass found: the last span of each top-level member
/// named in [`TOP_KEYS`], and the known members of the last `params`
/// object, in order.
#[derive(Default)]
struct Found {
    top: [Option<Span>; TOP_KEYS.len()],
    /// The slots of `top` that are set, in the order of their spans.
    order: heapless::Vec<u8, { TOP_KEYS.len() }>,
    /// The key of the `params` member the kept members belong to.
    params_key: Option<Span>,
    kept: Kept,
    /// A top-level key has an escape that decodes to no character.
    bad_key: bool,
}

/// The known members of a `params` object, in order (spans relative to
/// the line until [`Found::top`] makes them relative to the object).
#[derive(Default)]
pub(super) struct Kept {
    pub(super) members: heapless::Vec<(u8, Span), PARAMS_KEPT>,
    /// More known members than kept, or a key that does not decode: the
    /// object is walked the long way, which answers exactly.
    pub(super) walk: bool,
}

impl Kept {
    /// Nothing kept: `params` is walked.
    #[cfg(test)]
    pub(super) fn walked() -> Self {
        Kept { walk: true, ..Kept::default() }
    }
}

impl Found {
    #[inline(always)] // into the validating pass's callback
    fn member(&mut self, text: &[u8], m: scan::Member) {
        let key = &text[m.key.clone()];
        let decodes = !escaped(key) || scan::key_decodes(key);
        if m.depth == 1 {
            self.bad_key |= !decodes;
            let Some(slot) = which(key, TOP_KEYS) else { return };
            if slot == PARAMS && self.params_key.as_ref() != Some(&m.key) {
                // This `params` had no member (an empty object, or no object).
                self.kept = Kept::default();
                self.params_key = Some(m.key);
            }
            // A repeated member: its last span counts, and comes last.
            if self.top[slot].is_some() {
                self.order.retain(|&s| usize::from(s) != slot);
            }
            let _ = self.order.push(slot as u8); // One place per slot: never full.
            self.top[slot] = Some(m.value);
            return;
        }
        // A member of an object inside a top-level member: kept only for
        // `params` (the last one: another `params` starts over).
        if self.params_key.as_ref() != Some(&m.parent) {
            if which(&text[m.parent.clone()], TOP_KEYS) != Some(PARAMS) {
                return;
            }
            self.params_key = Some(m.parent);
            self.kept = Kept::default();
        }
        self.kept.walk |= !decodes;
        if let Some(k) = which(key, PARAM_KEYS) {
            self.kept.walk |= self.kept.members.push((k as u8, m.value)).is_err();
        }
    }

    /// The top-level members as disjoint pieces of `line`.
    #[inline(always)] // `Top` is big: returned, it costs a copy
    fn top(mut self, line: &mut [u8]) -> Top<'_> {
        // The kept members, relative to their object.
        if let Some(params) = &self.top[PARAMS] {
            for (_, span) in self.kept.members.iter_mut() {
                *span = span.start - params.start..span.end - params.start;
            }
        }
        Top::from_slots(carve(line, &self.top, &self.order), self.kept)
    }
}

/// Cuts the disjoint `spans` that are set out of `line`; `order` lists
/// them by position.
#[inline(always)] // as it was inlined before the walk existed
fn carve<'a, const N: usize>(line: &'a mut [u8], spans: &[Option<Span>; N], order: &[u8]) -> [Option<&'a mut [u8]>; N] {
    let mut pieces = [const { None }; N];
    let (mut rest, mut at) = (line, 0);
    for &i in order {
        let Some(span) = &spans[usize::from(i)] else { continue };
        let (_, tail) = core::mem::take(&mut rest).split_at_mut(span.start - at);
        let (piece, tail) = tail.split_at_mut(span.len());
        pieces[usize::from(i)] = Some(piece);
        (rest, at) = (tail, span.end);
    }
    pieces
}
