//! Test your aimx records, validators and policies with `cargo test` on the
//! host, without hardware: an in-memory [`duplex`] pipe, a scripted
//! [`Client`] and a [`ManualClock`], under `block_on` or any executor.
//!
//! ```
//! use aimx::record::AnyRecord;
//! use aimx::{Config, Registry, Server, SingleLatest};
//! use aimx_testing::{json, ManualClock};
//!
//! fn level_is_known(level: &u8) -> Result<(), &'static str> {
//!     if *level <= 3 { Ok(()) } else { Err("levels are 0 to 3") }
//! }
//! static LEVEL: SingleLatest<u8> =
//!     SingleLatest::with_value("config.level", "u8", 1).writable().validator(level_is_known);
//! static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
//!
//! let server: Server<'_, ManualClock> =
//!     Server::new(Registry::new(&RECORDS), Config::new().read_write(), ManualClock::new());
//! futures_lite::future::block_on(aimx_testing::session(&server, async |client| {
//!     client.hello().await;
//!     let stored = client.ok("record.set", json!({"name": "config.level", "value": 2})).await;
//!     assert_eq!(stored, json!({"status": "success", "value": 2}));
//!     assert_eq!(client.err("record.set", json!({"name": "config.level", "value": 9})).await, "validation_error");
//!     assert_eq!(LEVEL.latest(), Some(2)); // the refused value never reached the record
//!
//!     let sub = client.subscribe("config.level").await;
//!     let event = client.next_event().await; // the current value comes first
//!     assert_eq!((event["subscription_id"].as_str(), &event["data"]), (Some(sub.as_str()), &json!(2)));
//! }));
//! ```
//!
//! The crate is `no_std` (it needs `alloc`); the pipe is cancel-safe, so
//! [`Server::serve`](aimx::Server::serve) can race reads against events on
//! it exactly as on a UART.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

mod client;
mod client_v3;
mod clock;
mod pipe;

use core::future::Future;

use aimx::{Clock, Server, SessionEnd};

pub use client::Client;
pub use client_v3::{V3Client, V3Framing};
pub use clock::ManualClock;
pub use pipe::{duplex, End};
pub use serde_json::{json, Value};

/// How many bytes [`connect`] lets each direction of the pipe hold.
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// A session of `server` over a fresh pipe: the server's future (run it
/// next to the client, e.g. with `futures_lite::future::zip`) and a client
/// on the other end.
pub fn connect<'s, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'s Server<'_, C, SUBS, LINE, OUT>,
) -> (impl Future<Output = SessionEnd> + 's, Client) {
    let (server_end, client_end) = duplex(PIPE_CAPACITY);
    (server.serve(server_end), Client::new(client_end))
}

/// Runs one session of `server` with `body` as the client: returns how the
/// session ended and what `body` returned. The client's end is dropped when
/// `body` finishes, which ends the session.
pub async fn session<C: Clock, T, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    body: impl AsyncFnOnce(&mut Client) -> T,
) -> (SessionEnd, T) {
    run(connect(server), body).await
}

/// A v3 session of `server` with `framing`, as [`session`] does for v1.
pub async fn session_v3<C: Clock, T, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    framing: V3Framing,
    body: impl AsyncFnOnce(&mut V3Client) -> T,
) -> (SessionEnd, T) {
    let (server_end, client_end) = duplex(PIPE_CAPACITY);
    run_v3((server.serve(server_end), V3Client::new(client_end, framing)), body).await
}

/// As [`session_v3`], for a server future and client made by hand.
pub async fn run_v3<T>(
    (server, client): (impl Future<Output = SessionEnd>, V3Client),
    body: impl AsyncFnOnce(&mut V3Client) -> T,
) -> (SessionEnd, T) {
    let client_side = async move {
        let mut client = client;
        let out = body(&mut client).await;
        drop(client);
        out
    };
    futures_lite::future::zip(server, client_side).await
}

/// As [`session`], for a server future and client made by hand (a smaller
/// pipe, a chunked client, `serve_split`).
pub async fn run<T>(
    (server, client): (impl Future<Output = SessionEnd>, Client),
    body: impl AsyncFnOnce(&mut Client) -> T,
) -> (SessionEnd, T) {
    let client_side = async move {
        let mut client = client;
        let out = body(&mut client).await;
        drop(client);
        out
    };
    futures_lite::future::zip(server, client_side).await
}
