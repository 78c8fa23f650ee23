//! Embassy support for `aimx`: a [`Clock`](aimx::Clock) on `embassy-time`,
//! a CDC-ACM stream over `embassy-usb` (feature `usb`), an embassy-net TCP
//! [`Accept`](aimx::server::Accept)or (feature `net`) and a per-session task pattern
//! for embassy-executor (feature `executor`).
//!
//! The spawn-free path is the default on an MCU: one task runs
//! `server.serve_many([...])` over `aimx::Link`s and acceptors.
//!
//! ```no_run
//! use aimx::record::AnyRecord;
//! use aimx::server::Link;
//! use aimx::{Config, McuServer, Registry, SingleLatest};
//! use aimx_embassy::EmbassyClock;
//!
//! static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
//! static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
//! static SERVER: McuServer<'static, EmbassyClock> =
//!     McuServer::new(Registry::new(&RECORDS), Config::new().read_write(), EmbassyClock);
//!
//! /// Called from the task that owns the port: a HAL's buffered UART, or
//! /// `CdcAcmStream::new(class, rx_buf)` over USB (feature `usb`).
//! async fn serve(port: impl embedded_io_async::Read + embedded_io_async::Write) {
//!     aimx_embassy::install_time();
//!     SERVER.serve_many([Link::new(port)]).await;
//! }
//! # fn main() {}
//! ```
//!
//! `examples/minimal` in the repository has the same on the host, runnable.
#![no_std]
#![deny(missing_docs)]
// docs.rs builds with every feature and labels what needs which.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's code blocks, compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "usb")]
mod cdc_acm;
mod clock;
#[cfg(feature = "executor")]
mod spawn;
#[cfg(feature = "net")]
mod tcp;

#[cfg(feature = "usb")]
#[cfg_attr(docsrs, doc(cfg(feature = "usb")))]
pub use cdc_acm::CdcAcmStream;
pub use clock::{install_time, now, EmbassyClock};
#[cfg(feature = "executor")]
#[cfg_attr(docsrs, doc(cfg(feature = "executor")))]
pub use spawn::SessionSpawner;
#[cfg(feature = "net")]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub use tcp::TcpAcceptor;
