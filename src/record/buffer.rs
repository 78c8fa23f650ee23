//! The one buffer behind all three record kinds: the last `N` values with
//! their sequence numbers and timestamps, under a short blocking lock.

use core::marker::PhantomData;
#[cfg(target_pointer_width = "64")]
use core::sync::atomic::{AtomicU64, Ordering};

use maitake_sync::blocking::Mutex;
use maitake_sync::WaitQueue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::any::{AnyRecord, BufferType, Info, Next, SetError};
#[cfg(target_pointer_width = "64")]
use super::json::Stamp;
use super::json::{Json, Texts};
use super::{Meta, Origin};
use crate::time::{self, Timestamp};
use crate::wire::request::NAME_MAX;
use crate::wire::{Full, JsonOut};

/// The behaviour a record kind adds on top of the shared buffer.
pub trait Kind {
    /// How `record.list` names it.
    const BUFFER_TYPE: BufferType;
}

/// Marker: a bounded stream of the last `N` values.
pub struct Ring;
/// Marker: only the current value matters.
pub struct Latest;
/// Marker: an instruction; the latest supersedes the previous.
pub struct Mail;

impl Kind for Ring {
    const BUFFER_TYPE: BufferType = BufferType::SpmcRing;
}
impl Kind for Latest {
    const BUFFER_TYPE: BufferType = BufferType::SingleLatest;
}
impl Kind for Mail {
    const BUFFER_TYPE: BufferType = BufferType::Mailbox;
}

/// A bounded stream: the last `N` values, each with its sequence number.
pub type SpmcRing<T, const N: usize> = Record<T, Ring, N>;
/// A record where only the current value matters.
pub type SingleLatest<T> = Record<T, Latest, 1>;
/// An instruction for local code; a newer one supersedes an untaken one.
pub type Mailbox<T> = Record<T, Mail, 1>;

pub(super) struct State<T, const N: usize> {
    /// The values, each slot reused every `N` sequence numbers.
    slots: [Option<T>; N],
    /// Each slot's timestamp, apart from the values: a `(T, Timestamp)`
    /// pair would pad a 4-byte `T` to 16 bytes (and its `Option` to 24)
    /// because the timestamp is 8-aligned; this costs 12 (in RAM, and in
    /// flash too, since a record is an initialized static).
    stamps: [Timestamp; N],
    /// Sequence number of the newest value; 0 before the first.
    pub(super) head: u64,
    /// Mailbox: the newest sequence handed to local code by `take`.
    pub(super) taken: u64,
    consumers: u32,
    /// The JSON of the last values sessions wrote (64-bit hosts only).
    json: Texts,
}

impl<T, const N: usize> State<T, N> {
    fn slot(&self, seq: u64) -> Option<(&T, Timestamp)> {
        let i = ((seq - 1) % N as u64) as usize;
        self.slots[i].as_ref().map(|v| (v, self.stamps[i]))
    }

    /// The oldest sequence still kept, looking back at most `window`.
    fn oldest(&self, window: u64) -> u64 {
        let kept = window.clamp(1, N as u64);
        (self.head + 1).saturating_sub(kept).max(1)
    }

    pub(super) fn newest(&self) -> Option<(&T, Timestamp)> {
        if self.head == 0 {
            None
        } else {
            self.slot(self.head)
        }
    }

    /// The next sequence to read after `after`, if there is one.
    pub(super) fn next_after(&self, after: u64, window: u64) -> Option<u64> {
        (self.head > after).then(|| (after + 1).max(self.oldest(window)))
    }

    pub(super) fn get(&self, seq: u64) -> Option<(&T, Timestamp)> {
        self.slot(seq)
    }

    /// A consumer starts following; returns the current head.
    pub(super) fn consumers_acquire(&mut self) -> u64 {
        self.consumers += 1;
        self.head
    }

    pub(super) fn consumers_release(&mut self) {
        self.consumers = self.consumers.saturating_sub(1);
    }
}

/// Checks a value written through `record.set`; the error text is sent back.
pub type Validator<T> = fn(&T) -> Result<(), &'static str>;

/// Stores the value in the JSON of a `record.set`: decoded, validated,
/// published (see [`Record::set_decoded`]).
type Setter<R> = fn(&R, &mut [u8]) -> Result<(), SetError>;

/// A typed record of kind `K` keeping its last `N` values.
///
/// Use the aliases [`SpmcRing`], [`SingleLatest`] and [`Mailbox`].
pub struct Record<T, K, const N: usize> {
    meta: Meta,
    /// Set by [`Record::writable`]: a record never written remotely links
    /// no deserializer for `T` (nor needs `T: Deserialize`).
    set: Option<Setter<Self>>,
    /// `core::any::type_name::<T>` when no type name was given: only then
    /// is the Rust type name linked (a record that names its type keeps
    /// the long path out of flash).
    rust_name: Option<fn() -> &'static str>,
    validate: Option<Validator<T>>,
    /// `record.set` may store NaN (`null`) and infinities (out of range).
    non_finite: bool,
    pub(super) state: Mutex<State<T, N>>,
    /// `state.head`, stored under the lock at each publish, for readers
    /// that need only it ([`AnyRecord::head`]; 64-bit hosts).
    #[cfg(target_pointer_width = "64")]
    head: AtomicU64,
    pub(super) changed: WaitQueue,
    kind: PhantomData<fn() -> K>,
}

impl<T, K, const N: usize> Record<T, K, N> {
    /// An empty, read-only, passive record. `name` is at most 64 bytes;
    /// `type_name` is what `record.list` shows as `type_id` (`""` shows the
    /// Rust type name of `T`).
    pub const fn new(name: &'static str, type_name: &'static str) -> Self {
        assert!(N > 0, "a record keeps at least one value");
        assert!(name.len() <= NAME_MAX, "record names are at most 64 bytes");
        Record {
            meta: Meta { name, type_name, origin: Origin::Passive, writable: false, producers: 0, schema: None },
            set: None,
            rust_name: if type_name.is_empty() { Some(core::any::type_name::<T>) } else { None },
            validate: None,
            non_finite: false,
            state: Mutex::new(State {
                slots: [const { None }; N],
                stamps: [Timestamp::ZERO; N],
                head: 0,
                taken: 0,
                consumers: 0,
                json: Texts::EMPTY,
            }),
            #[cfg(target_pointer_width = "64")]
            head: AtomicU64::new(0),
            changed: WaitQueue::new(),
            kind: PhantomData,
        }
    }

    /// A record that starts with `value` (sequence 1, timestamp zero).
    pub const fn with_value(name: &'static str, type_name: &'static str, value: T) -> Self {
        let mut slots = [const { None }; N];
        // `Option::replace` is not `const`; the `None` replaced needs no drop.
        #[allow(clippy::mem_replace_option_with_some)]
        core::mem::forget(core::mem::replace(&mut slots[0], Some(value)));
        let mut record = Self::new(name, type_name);
        core::mem::forget(core::mem::replace(
            &mut record.state,
            Mutex::new(State {
                slots,
                stamps: [Timestamp::ZERO; N],
                head: 1,
                taken: 0,
                consumers: 0,
                json: Texts::EMPTY,
            }),
        ));
        #[cfg(target_pointer_width = "64")]
        {
            record.head = AtomicU64::new(1);
        }
        record
    }

    /// Let `record.set` change it (under the read-write policy). Only
    /// writable records need `T: Deserialize`, and only they link its
    /// deserializer.
    pub const fn writable(mut self) -> Self
    where
        T: DeserializeOwned,
    {
        self.meta.writable = true;
        self.set = Some(Self::set_decoded);
        self
    }

    /// Mark it as produced by one local producer (`origin: "source"`).
    pub const fn source(mut self) -> Self {
        self.meta.origin = Origin::Source;
        self.meta.producers = 1;
        self
    }

    /// Mark it as mirrored from elsewhere.
    pub const fn linked(mut self, protocol: &'static str, address: &'static str) -> Self {
        self.meta.origin = Origin::Link { protocol, address };
        self
    }

    /// Publish the value type's description for `record.schema`, so host
    /// tools can decode and check values without being rebuilt (the
    /// description is `const` data in flash; see [`crate::schema`]).
    /// Without the `schema` feature nothing is kept, and the description
    /// is not linked.
    #[cfg_attr(not(feature = "schema"), allow(unused_mut))]
    pub const fn described(mut self) -> Self
    where
        T: crate::schema::Describe,
    {
        #[cfg(feature = "schema")]
        {
            self.meta.schema = Some(crate::schema::SchemaRef(T::SCHEMA));
        }
        self
    }

    /// Check values written through `record.set` beyond their type; the
    /// error text is sent back with `validation_error`.
    pub const fn validator(mut self, check: Validator<T>) -> Self {
        self.validate = Some(check);
        self
    }

    /// Let `record.set` store non-finite floats: `null` becomes NaN and
    /// numbers beyond the float type's range become infinities. Without
    /// it such values get `validation_error` and nothing is stored.
    pub const fn non_finite(mut self) -> Self {
        self.non_finite = true;
        self
    }

    /// The record's metadata.
    pub const fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Publish a value stamped with [`time::now`]. Never waits: the oldest
    /// value makes room, and slow readers see the gap as `dropped`.
    ///
    /// The record's lock is only ever held for a few word-sized updates
    /// plus at most one clone of `T`: sessions copy a value out and turn it
    /// into JSON after releasing the lock, so a slow `Serialize` never
    /// delays a publish (or, with `critical-section`, keeps interrupts off).
    pub fn publish(&self, value: T) {
        self.publish_at(value, time::now());
    }

    /// Publish a value with an explicit timestamp.
    pub fn publish_at(&self, value: T, timestamp: Timestamp) {
        let old = self.state.with_lock(|s| {
            s.head += 1;
            // Under the lock, so the atomic never runs behind a value
            // that `write_next` could already read; before `wake_all`, so
            // a woken reader sees it.
            #[cfg(target_pointer_width = "64")]
            self.head.store(s.head, Ordering::Release);
            let i = ((s.head - 1) % N as u64) as usize;
            s.stamps[i] = timestamp;
            s.slots[i].replace(value)
        });
        // The displaced value is dropped outside the lock.
        drop(old);
        self.changed.wake_all();
    }

    /// The setter [`Record::writable`] stores: only writable records link
    /// it (a read-only record's `set_json` is a refusal and nothing more).
    fn set_decoded(&self, json: &mut [u8]) -> Result<(), SetError>
    where
        T: DeserializeOwned,
    {
        let value = crate::wire::value::from_slice::<T>(json, self.non_finite).map_err(|e| SetError(e.0))?;
        if let Some(check) = self.validate {
            check(&value).map_err(SetError)?;
        }
        self.publish(value);
        Ok(())
    }

    /// Sequence number of the newest value (0 before the first).
    pub fn sequence(&self) -> u64 {
        self.state.with_lock(|s| s.head)
    }

    /// Calls `f` with the newest value, under the record's lock.
    pub fn with_latest<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.state.with_lock(|s| f(s.newest().map(|(v, _)| v)))
    }

    /// A copy of the newest value.
    pub fn latest(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with_latest(|v| v.cloned())
    }

    /// Completes after the next publish.
    pub async fn changed(&self) {
        // A `Wait` sees every `wake_all` from its creation on.
        let _ = self.changed.wait().await;
    }
}

impl<T: Clone> Record<T, Mail, 1> {
    /// The pending instruction, if one arrived since the last `take`.
    pub fn take(&self) -> Option<T> {
        self.state.with_lock(|s| {
            if s.head > s.taken {
                s.taken = s.head;
                s.newest().map(|(v, _)| v.clone())
            } else {
                None
            }
        })
    }

    /// Waits for the next instruction and takes it.
    pub async fn recv(&self) -> T {
        loop {
            let wait = self.changed.wait();
            if let Some(v) = self.take() {
                return v;
            }
            let _ = wait.await;
        }
    }
}

impl<T, K, const N: usize> AnyRecord for Record<T, K, N>
where
    T: Serialize + Clone + Send,
    K: Kind,
{
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn buffer_type(&self) -> BufferType {
        K::BUFFER_TYPE
    }

    fn type_id(&self) -> &'static str {
        match self.rust_name {
            Some(rust_name) => rust_name(),
            None => self.meta.type_name,
        }
    }

    fn capacity(&self) -> usize {
        N
    }

    fn info(&self) -> Info {
        self.state.with_lock(|s| Info { head: s.head, last_update: s.newest().map(|(_, t)| t), consumers: s.consumers })
    }

    #[cfg(target_pointer_width = "64")]
    fn head(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    fn write_next(
        &self,
        after: u64,
        window: u64,
        out: &mut JsonOut,
        head: &mut dyn FnMut(&mut JsonOut, u64) -> Result<(), Full>,
    ) -> Next {
        let Some((seq, value, timestamp, ())) = self.pick(after, window, |_, _| ()) else { return Next::Empty };
        all_or_nothing(out, seq, timestamp, |out| head(out, seq).and_then(|()| self.write_value(out, seq, &value)))
    }

    #[cfg(target_pointer_width = "64")]
    fn write_kept(&self, out: &mut JsonOut) -> bool {
        // Copied straight into `out` under the lock: no larger a copy than
        // `write_next`'s of the whole kept text out of it.
        self.state.with_lock(|s| s.json.text(s.head).is_some_and(|text| out.raw(text).is_ok()))
    }

    #[cfg(target_pointer_width = "64")]
    fn write_next_stamped(
        &self,
        after: u64,
        window: u64,
        out: &mut JsonOut,
        head: &mut dyn FnMut(&mut JsonOut, u64) -> Result<(), Full>,
    ) -> Next {
        // The value and its kept member, copied out under the lock.
        let next = self.pick(after, window, |s, seq| s.json.stamp(seq));
        let Some((seq, value, timestamp, stamp)) = next else { return Next::Empty };
        all_or_nothing(out, seq, timestamp, |out| {
            head(out, seq).and_then(|()| self.write_stamped(out, seq, &value, timestamp, stamp))
        })
    }

    fn set_json(&self, json: &mut [u8]) -> Result<(), SetError> {
        // `record.set` checks `writable` first; this only guards direct calls.
        let set = self.set.ok_or(SetError("record is not writable"))?;
        set(self, json)
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.changed
    }

    fn attach(&self) -> u64 {
        self.state.with_lock(|s| s.consumers_acquire())
    }

    fn detach(&self) {
        self.state.with_lock(|s| s.consumers_release());
    }
}

/// Value `seq` as `write` writes it (an event's head, then the value): all
/// of it (`Next::Wrote`), or nothing and `Next::Full`.
#[inline(always)]
fn all_or_nothing(
    out: &mut JsonOut,
    seq: u64,
    timestamp: Timestamp,
    write: impl FnOnce(&mut JsonOut) -> Result<(), Full>,
) -> Next {
    let mark = out.len();
    match write(out) {
        Ok(()) => Next::Wrote { seq, timestamp },
        Err(Full) => {
            out.truncate(mark);
            Next::Full { seq, timestamp }
        }
    }
}

/// A value copied out from under the lock: its kept JSON when the record
/// has it (64-bit hosts), else the value itself, to serialize.
enum Kept<T> {
    Json(Json),
    Value(T),
}

impl<T: Clone> Kept<T> {
    fn of<const N: usize>(s: &State<T, N>, seq: u64, value: &T) -> Self {
        match s.json.get(seq) {
            Some(json) => Kept::Json(json),
            None => Kept::Value(value.clone()),
        }
    }
}

impl<T: Serialize + Clone, K, const N: usize> Record<T, K, N> {
    /// The value after `after` (looking back at most `window`), copied
    /// out under the lock with what `also` takes of the state for it, to
    /// be serialized after the lock is released.
    #[inline]
    fn pick<X>(
        &self,
        after: u64,
        window: u64,
        also: impl FnOnce(&State<T, N>, u64) -> X,
    ) -> Option<(u64, Kept<T>, Timestamp, X)> {
        self.state.with_lock(|s| {
            let seq = s.next_after(after, window)?;
            s.get(seq).map(|(value, timestamp)| (seq, Kept::of(s, seq, value), timestamp, also(s, seq)))
        })
    }

    /// Writes value `seq`: its kept JSON, or the value serialized (and then
    /// kept for the next session that writes it). Inlined: a call more per
    /// `record.get` cost ~24 instructions (issue 11).
    #[inline(always)]
    fn write_value(&self, out: &mut JsonOut, seq: u64, value: &Kept<T>) -> Result<(), Full> {
        match value {
            Kept::Json(json) => out.raw(json.as_bytes()),
            Kept::Value(value) => {
                let at = out.len();
                out.value(value)?;
                if Texts::ON {
                    self.state.with_lock(|s| s.json.keep(seq, &out.as_bytes()[at..]));
                }
                Ok(())
            }
        }
    }

    /// [`Self::write_value`], then (unless `timestamp` is zero: the
    /// server writes its own `created_at` there) the timestamp member:
    /// `stamp` when it was kept, else formatted, and then kept.
    #[cfg(target_pointer_width = "64")]
    fn write_stamped(
        &self,
        out: &mut JsonOut,
        seq: u64,
        value: &Kept<T>,
        timestamp: Timestamp,
        stamp: Option<Stamp>,
    ) -> Result<(), Full> {
        if timestamp == Timestamp::ZERO {
            return self.write_value(out, seq, value);
        }
        let at = out.len();
        let kept = match value {
            Kept::Json(json) => {
                out.raw(json.as_bytes())?;
                if let Some(member) = stamp {
                    return out.raw(member.as_bytes());
                }
                true
            }
            Kept::Value(value) => {
                out.value(value)?;
                false
            }
        };
        let end = out.len();
        crate::wire::reply::stamp_member(out, timestamp)?;
        // One lock for both texts.
        self.state.with_lock(|s| {
            if !kept {
                s.json.keep(seq, &out.as_bytes()[at..end]);
            }
            s.json.keep_stamp(seq, &out.as_bytes()[end..]);
        });
        Ok(())
    }
}

#[cfg(test)]
#[path = "buffer_tests.rs"]
mod tests;
