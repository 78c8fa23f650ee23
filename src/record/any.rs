//! The object-safe view the server has of any record.

use maitake_sync::WaitQueue;

use super::Meta;
use crate::time::Timestamp;
use crate::wire::{Full, JsonOut};

/// The buffer kind, as `record.list` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BufferType {
    SpmcRing,
    SingleLatest,
    Mailbox,
}

impl BufferType {
    /// `"spmc_ring"`, `"single_latest"` or `"mailbox"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BufferType::SpmcRing => "spmc_ring",
            BufferType::SingleLatest => "single_latest",
            BufferType::Mailbox => "mailbox",
        }
    }
}

/// A snapshot of a record's live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Sequence number of the newest value (0: none yet).
    pub head: u64,
    /// When the newest value was published.
    pub last_update: Option<Timestamp>,
    /// Live subscribers, remote and local.
    pub consumers: u32,
}

/// The outcome of [`AnyRecord::write_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// No value newer than the cursor.
    Empty,
    /// The value with sequence `seq` was written.
    Wrote {
        /// Its record-wide sequence number.
        seq: u64,
        /// When it was published.
        timestamp: Timestamp,
    },
    /// The value `seq` is next but did not fit the buffer.
    Full {
        /// Its record-wide sequence number.
        seq: u64,
        /// When it was published.
        timestamp: Timestamp,
    },
}

/// Why `record.set` refused a value. Nothing was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetError(pub &'static str);

impl core::fmt::Display for SetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "value refused: {}", self.0)
    }
}

impl core::error::Error for SetError {}

/// A record as the server sees it: metadata, and values as JSON.
pub trait AnyRecord: Sync {
    /// Fixed metadata.
    fn meta(&self) -> &Meta;
    /// The buffer kind.
    fn buffer_type(&self) -> BufferType;
    /// The `type_id` shown in `record.list`: the type name given at
    /// construction, or the value's Rust type name when none was given.
    fn type_id(&self) -> &'static str {
        self.meta().type_name
    }
    /// How many values it keeps.
    fn capacity(&self) -> usize;
    /// A snapshot of its live state.
    fn info(&self) -> Info;
    /// `info().head`, the newest value's sequence number. On 64-bit hosts
    /// the record keeps it in an atomic too, read here without the lock
    /// (issue 11: subscribers check it several times per event, and the
    /// lock's cache line moved between the cores that publish and send).
    #[cfg(target_pointer_width = "64")]
    fn head(&self) -> u64 {
        self.info().head
    }
    /// Writes the newest value's JSON as it was kept the last time a
    /// session wrote it (64-bit hosts keep the last values' texts): a copy
    /// of bytes, with nothing serialized. `false`, with nothing written,
    /// when it is not kept (no value yet, a newer value not written yet, a
    /// text too long to keep, a record that keeps none) or does not fit:
    /// [`AnyRecord::write_next`] then writes it (issue 11: the reply to a
    /// `record.get`, ~70 instructions fewer per reply).
    #[cfg(target_pointer_width = "64")]
    fn write_kept(&self, out: &mut JsonOut) -> bool {
        let _ = out;
        false
    }
    /// Writes the newest value as JSON; `Ok(false)` when there is none.
    ///
    /// The value [`AnyRecord::write_next`] picks from a window of one,
    /// with nothing before it: one copy of the code that reads and writes
    /// a value per record type, not two.
    ///
    /// Not in the vtable (`Self: Sized`): on a `dyn AnyRecord`, call
    /// `write_newest`, the same, built once rather than once per record type.
    fn write_latest(&self, out: &mut JsonOut) -> Result<bool, Full>
    where
        Self: Sized,
    {
        (self as &dyn AnyRecord).write_newest(out)
    }
    /// Writes the oldest value still kept that is newer than `after`,
    /// looking back at most `window` values; `head` writes what goes before
    /// the value (it gets the value's sequence number).
    fn write_next(
        &self,
        after: u64,
        window: u64,
        out: &mut JsonOut,
        head: &mut dyn FnMut(&mut JsonOut, u64) -> Result<(), Full>,
    ) -> Next;
    /// [`AnyRecord::write_next`], then (for a value stamped other than
    /// zero) the value's `,"timestamp":"secs.nanos"` member, as an event
    /// carries it after its data; all or nothing (`Next::Full`). A value
    /// stamped zero gets no member: the server writes its own
    /// `created_at` there. A record may keep the member with the value's
    /// JSON, so that it is formatted once for all subscribers (64-bit
    /// hosts; issue 11).
    #[cfg(target_pointer_width = "64")]
    #[doc(hidden)]
    fn write_next_stamped(
        &self,
        after: u64,
        window: u64,
        out: &mut JsonOut,
        head: &mut dyn FnMut(&mut JsonOut, u64) -> Result<(), Full>,
    ) -> Next {
        let mark = out.len();
        let next = self.write_next(after, window, out, head);
        if let Next::Wrote { seq, timestamp } = next {
            if timestamp != Timestamp::ZERO && crate::wire::reply::stamp_member(out, timestamp).is_err() {
                out.truncate(mark);
                return Next::Full { seq, timestamp };
            }
        }
        next
    }
    /// Decodes `json` (a validated JSON value) into the record's type and
    /// publishes it; strings are unescaped in place, inside `json`.
    fn set_json(&self, json: &mut [u8]) -> Result<(), SetError>;
    /// Woken (`wake_all`) on every publish.
    fn wait_queue(&self) -> &WaitQueue;
    /// A subscriber starts following the record; returns the current head.
    fn attach(&self) -> u64;
    /// A subscriber stops following the record.
    fn detach(&self);
}

impl dyn AnyRecord + '_ {
    /// The newest value's sequence number (0: none yet): without the
    /// record's lock on 64-bit hosts, from [`AnyRecord::info`] elsewhere
    /// (MCUs keep one way to read it, and no atomic they may lack).
    pub(crate) fn newest_seq(&self) -> u64 {
        #[cfg(target_pointer_width = "64")]
        return self.head();
        #[cfg(not(target_pointer_width = "64"))]
        return self.info().head;
    }

    /// Writes the newest value as JSON; `Ok(false)` when there is none
    /// ([`AnyRecord::write_latest`] on a trait object).
    pub fn write_newest(&self, out: &mut JsonOut) -> Result<bool, Full> {
        match self.write_next(0, 1, out, &mut |_, _| Ok(())) {
            Next::Wrote { .. } => Ok(true),
            Next::Empty => Ok(false),
            Next::Full { .. } => Err(Full),
        }
    }
}
