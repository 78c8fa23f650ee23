//! `aimx`: an AimX v1 remote-access server for embedded Rust.
//!
//! The server is written only against [`embedded_io_async::Read`] and
//! [`embedded_io_async::Write`], a small [`Clock`] and an
//! optional [`Spawn`]: any executor and any byte stream plug in.
//! The crate is `#![no_std]` and never allocates; every buffer is sized by a
//! const generic, so `size_of` of a session is the truth about its RAM.
//!
//! * [`record`]: typed records ([`SpmcRing`], [`SingleLatest`], [`Mailbox`])
//!   and the [`Registry`] the server exposes.
//! * [`wire`]: bytes to messages and back, with no I/O.
//! * [`server`]: sessions ([`Server::serve`], [`Server::serve_split`]).
//!
//! A server with two records, one session, a write and a subscription:
//!
//! ```
//! use aimx::record::AnyRecord;
//! use aimx::{Config, Registry, Server, SingleLatest, SpmcRing};
//! use aimx_testing::{json, ManualClock};
//!
//! static TEMPERATURE: SpmcRing<f32, 8> = SpmcRing::new("sensor.temperature", "f32").source();
//! static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
//! static RECORDS: [&dyn AnyRecord; 2] = [&TEMPERATURE, &LEVEL];
//!
//! // On a device the clock comes from the runtime's adapter (aimx-tokio,
//! // aimx-embassy…) and the stream is a UART or a socket; here they are a
//! // manual clock and an in-memory pipe from aimx-testing.
//! let server: Server<'_, ManualClock> =
//!     Server::new(Registry::new(&RECORDS), Config::new().read_write(), ManualClock::new());
//! TEMPERATURE.publish(21.5); // publishing never waits
//! futures_lite::future::block_on(aimx_testing::session(&server, async |client| {
//!     client.hello().await;
//!     client.ok("record.set", json!({"name": "config.level", "value": 3})).await;
//!     client.subscribe("sensor.temperature").await;
//!     assert_eq!(client.next_event().await["data"], 21.5);
//! }));
//! assert_eq!(LEVEL.latest(), Some(3)); // local code sees what the client wrote
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

#[cfg(test)]
extern crate std;

pub mod record;
pub mod runtime;
pub mod schema;
pub mod server;
pub mod time;
pub mod wire;

pub use record::{Mailbox, Origin, Record, Registry, SingleLatest, SpmcRing};
pub use runtime::{Clock, Spawn, SpawnError};
#[cfg(feature = "drain")]
pub use server::DRAIN_CURSORS;
pub use server::{Config, McuServer, Policy, Server, SessionEnd, Stats, Token};

pub use time::Timestamp;

/// The README's code blocks, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
