//! Record values to JSON and back, without `serde-json-core`.
//!
//! * [`ser`]: a `serde::Serializer` into a [`JsonOut`](super::JsonOut).
//! * [`float`]: `f32` to shortest text and back, exact, integer-only.

pub mod float;
pub mod ser;

pub use ser::{to_json, SerError};
