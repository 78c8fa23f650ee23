//! Record values to JSON and back, without `serde-json-core`.
//!
//! * [`ser`]: a `serde::Serializer` into a [`JsonOut`](super::JsonOut).
//! * [`de`]: a `serde::Deserializer` over scanned text, unescaping in place.
//! * [`float`]: `f32` to shortest text and back, exact, integer-only.

pub mod de;
pub mod float;
pub mod ser;

pub use de::{from_slice, DeError};
pub use ser::{to_json, SerError};
