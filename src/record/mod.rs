//! Typed records, their buffers, and the registry the server exposes.
//!
//! A record is a `static` built by `const fn`:
//!
//! ```
//! use aimx::{SpmcRing, SingleLatest, Mailbox, Registry};
//! use aimx::record::AnyRecord;
//!
//! // Read-only (never `.writable()`): `Serialize` is all it needs.
//! #[derive(serde::Serialize, Clone)]
//! struct Temperature { celsius: f32 }
//!
//! static TEMPERATURE: SpmcRing<Temperature, 16> =
//!     SpmcRing::new("sensor.temperature", "Temperature").source();
//! static MODE: SingleLatest<u8> = SingleLatest::with_value("config.mode", "u8", 1).writable();
//! static RECORDS: [&dyn AnyRecord; 2] = [&TEMPERATURE, &MODE];
//! static REGISTRY: Registry = Registry::new(&RECORDS);
//!
//! TEMPERATURE.publish(Temperature { celsius: 21.5 });
//! assert_eq!(REGISTRY.find("config.mode").map(|(i, _)| i), Some(1));
//! ```
//!
//! All three kinds keep their last `N` values with sequence numbers
//! ([`SingleLatest`] and [`Mailbox`] have `N = 1`). A remote subscriber is a
//! cursor into that buffer, so publishing never waits for anyone.

mod any;
mod buffer;
mod json;
mod local;
mod registry;

pub use any::{AnyRecord, BufferType, Info, Next, SetError};
pub use buffer::{Kind, Latest, Mail, Mailbox, Record, Ring, SingleLatest, SpmcRing, Validator};
pub use local::{Received, Subscriber};
pub use registry::{NameIndex, Registry};

/// Where a record's values come from (`origin` in `record.list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Produced by local code on the device.
    Source,
    /// Written only through `record.set` or by local code on demand.
    Passive,
    /// Mirrored from elsewhere.
    Link {
        /// The link's protocol, e.g. `"aimx"`.
        protocol: &'static str,
        /// Where it is mirrored from.
        address: &'static str,
    },
}

/// What a record says about itself, fixed at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The record's name (also its key); at most 64 bytes.
    pub name: &'static str,
    /// The name of the value's type, shown as `type_id`; empty for the Rust
    /// type name (see [`AnyRecord::type_id`]).
    pub type_name: &'static str,
    /// Where values come from.
    pub origin: Origin,
    /// Whether `record.set` may change it (under the read-write policy).
    pub writable: bool,
    /// How many local producers it has.
    pub producers: u8,
    /// The value's JSON shape, for `record.schema` (see [`Record::described`]).
    pub schema: Option<crate::schema::SchemaRef>,
}
