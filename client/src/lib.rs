//! An async client for [AimX](protocol) (v1 and 3.0): look inside a
//! running device over a Unix socket, TCP or a serial port.
//!
//! ```no_run
//! # async fn demo() -> aimx_client::Result<()> {
//! use aimx_client::{Client, Options};
//!
//! let client = Client::connect_unix("/tmp/aimx.sock", Options::default()).await?;
//! for record in client.list().await? {
//!     println!("{} ({})", record.name, record.buffer_type);
//! }
//! let mut temperature = client.subscribe("sensor.temperature").await?;
//! while let Some(event) = temperature.next().await {
//!     if event.dropped > 0 {
//!         println!("… {} dropped", event.dropped);
//!     }
//!     println!("#{} {}", event.sequence, event.data);
//! }
//! # Ok(()) }
//! ```
//!
//! Replies are matched to calls by id, events are routed to their
//! [`Subscription`], and every call is bounded by [`Options::timeout`].
#![deny(missing_docs)]

/// The protocol this client speaks, as the `aimx` server implements it
/// (`docs/protocol.md` in the repository).
#[doc = include_str!("../../docs/protocol.md")]
pub mod protocol {}

mod backoff;
mod client;
mod codec;
mod error;
mod keepalive;
mod options;
mod reader;
mod state;
mod subscription;
mod tls;
mod transport;
mod v3;
mod wire;

pub use backoff::Backoff;
pub use client::Client;
pub use codec::{Framing, Wire};
pub use error::{Error, ErrorCode, Result, ServerError};
pub use options::Options;
pub use subscription::Subscription;
pub use tls::{TlsOptions, Trust};
pub use wire::{timestamp_secs, Event, RecordInfo, Welcome};

/// The CLI README's library example, compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../cli/README.md")]
pub struct CliReadmeDoctests;
