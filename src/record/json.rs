//! The JSON of the last values sessions wrote of a record, kept beside its
//! values on 64-bit hosts: every subscriber of a record sends the same
//! values, and writing each once instead of once per subscriber removes
//! what was the largest item of the fan-out CPU (float formatting: ~18 % of
//! it at 64 subscribers). Subscribers that fall behind write older values
//! than the newest, so the last [`SLOTS`] are kept, each in the slot of its
//! sequence number. On an MCU all of it is empty and zero-sized: RAM per
//! record is worth more there than the formatting time.

/// The longest JSON kept: an `f32` takes at most 24 bytes; a longer value
/// is written from the value every time, as before.
#[cfg(target_pointer_width = "64")]
const KEPT: usize = 48;

/// The longest `,"timestamp":"secs.nanos"` member: 14 bytes of name, two
/// quotes, up to 11 digits of seconds (a `u64` of nanoseconds), the point
/// and nine digits.
#[cfg(target_pointer_width = "64")]
const STAMP: usize = 14 + 2 + 11 + 1 + 9;

/// Values kept per record (64 B of JSON and 48 B of timestamp member each:
/// 896 B per record on a 64-bit host).
#[cfg(target_pointer_width = "64")]
pub(super) const SLOTS: usize = 8;

/// The kept texts, value `seq` in slot `seq % SLOTS`.
pub(super) struct Texts {
    #[cfg(target_pointer_width = "64")]
    slots: [Json; SLOTS],
    /// Each value's `,"timestamp":"secs.nanos"` member as events carry it,
    /// formatted once for all its subscribers (issue 11: ~200 instructions
    /// per event). Apart from `slots`, so that a `record.get`, which sends
    /// no such member, copies no more than before.
    #[cfg(target_pointer_width = "64")]
    stamps: [Stamp; SLOTS],
}

impl Texts {
    #[cfg(target_pointer_width = "64")]
    pub(super) const EMPTY: Texts = Texts { slots: [Json::EMPTY; SLOTS], stamps: [Stamp::EMPTY; SLOTS] };
    #[cfg(not(target_pointer_width = "64"))]
    pub(super) const EMPTY: Texts = Texts {};

    /// Whether values are kept at all (a constant: on an MCU the code that
    /// would keep them, and its lock, fold away).
    pub(super) const ON: bool = cfg!(target_pointer_width = "64");

    /// A copy of the JSON of value `seq`, when it is kept.
    pub(super) fn get(&self, seq: u64) -> Option<Json> {
        #[cfg(target_pointer_width = "64")]
        return self.slots[seq as usize % SLOTS].get(seq);
        #[cfg(not(target_pointer_width = "64"))]
        {
            let _ = seq;
            None
        }
    }

    /// The JSON of value `seq`, in place, when it is kept.
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(super) fn text(&self, seq: u64) -> Option<&[u8]> {
        let json = &self.slots[seq as usize % SLOTS];
        (seq != 0 && json.seq == seq).then(|| json.as_bytes())
    }

    /// Keeps `json` as value `seq`'s (see [`Json::keep`]).
    pub(super) fn keep(&mut self, seq: u64, json: &[u8]) {
        #[cfg(target_pointer_width = "64")]
        self.slots[seq as usize % SLOTS].keep(seq, json);
        #[cfg(not(target_pointer_width = "64"))]
        let _ = (seq, json);
    }

    /// A copy of value `seq`'s timestamp member, when it is kept.
    #[cfg(target_pointer_width = "64")]
    pub(super) fn stamp(&self, seq: u64) -> Option<Stamp> {
        let stamp = &self.stamps[seq as usize % SLOTS];
        (seq != 0 && stamp.seq == seq).then_some(*stamp)
    }

    /// Keeps `member` as value `seq`'s timestamp member (as [`Json::keep`]:
    /// unless a newer value's is kept, or it is too long). Only for a
    /// timestamp other than zero: a value stamped zero shows each
    /// server's `created_at`.
    #[cfg(target_pointer_width = "64")]
    pub(super) fn keep_stamp(&mut self, seq: u64, member: &[u8]) {
        let stamp = &mut self.stamps[seq as usize % SLOTS];
        if seq >= stamp.seq && member.len() <= STAMP {
            stamp.bytes[..member.len()].copy_from_slice(member);
            (stamp.seq, stamp.len) = (seq, member.len() as u8);
        }
    }
}

/// The timestamp member of the value with sequence number `seq` (0: none).
#[cfg(target_pointer_width = "64")]
#[derive(Clone, Copy)]
pub(super) struct Stamp {
    seq: u64,
    len: u8,
    bytes: [u8; STAMP],
}

#[cfg(target_pointer_width = "64")]
impl Stamp {
    const EMPTY: Stamp = Stamp { seq: 0, len: 0, bytes: [0; STAMP] };

    /// The member's text.
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The JSON of the value with sequence number `seq` (0: none yet).
#[derive(Clone, Copy)]
pub(super) struct Json {
    #[cfg(target_pointer_width = "64")]
    seq: u64,
    #[cfg(target_pointer_width = "64")]
    len: u8,
    #[cfg(target_pointer_width = "64")]
    bytes: [u8; KEPT],
    /// On an MCU there is no kept JSON at all: the type has no value, so
    /// the code that would write one is known dead and not built (+92 B
    /// of flash when it was merely empty).
    #[cfg(not(target_pointer_width = "64"))]
    never: core::convert::Infallible,
}

impl Json {
    #[cfg(target_pointer_width = "64")]
    const EMPTY: Json = Json { seq: 0, len: 0, bytes: [0; KEPT] };

    /// A copy of the JSON of value `seq`, when it is the one kept.
    #[cfg(target_pointer_width = "64")]
    fn get(&self, seq: u64) -> Option<Json> {
        (seq != 0 && self.seq == seq).then_some(*self)
    }

    /// The JSON text.
    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        #[cfg(target_pointer_width = "64")]
        return &self.bytes[..usize::from(self.len)];
        #[cfg(not(target_pointer_width = "64"))]
        match self.never {}
    }

    /// Keeps `json` as value `seq`'s, unless a newer value's is kept or it
    /// is too long. Values never change once published, so a kept text
    /// stays right for as long as its sequence number is asked for.
    #[cfg(target_pointer_width = "64")]
    fn keep(&mut self, seq: u64, json: &[u8]) {
        if seq >= self.seq && json.len() <= KEPT {
            self.bytes[..json.len()].copy_from_slice(json);
            (self.seq, self.len) = (seq, json.len() as u8);
        }
    }
}
