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
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

#[cfg(test)]
extern crate std;

pub mod record;
pub mod runtime;
pub mod server;
pub mod time;
pub mod wire;

pub use record::{Mailbox, Origin, Record, Registry, SingleLatest, SpmcRing};
pub use runtime::{Clock, Spawn, SpawnError};
pub use server::{Config, McuServer, Policy, Server, SessionEnd, Stats, Token, DRAIN_CURSORS};

pub use time::Timestamp;

/// The README's code blocks, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
