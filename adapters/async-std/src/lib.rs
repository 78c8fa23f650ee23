//! async-std and smol support for `aimx`, written once against `futures-io`
//! streams: a [`Clock`] on `async-io`'s timer (the reactor both runtimes use),
//! a [`Spawn`] for each runtime, and an accept loop that serves each incoming
//! connection in its own task, over TLS when given a rustls config
//! ([`ServeOptions::tls()`], with [`tls::server_config_from_files`]).
//!
//! async-std is discontinued upstream (RUSTSEC-2025-0052); smol is its
//! successor. Both work through the same code here; pick the spawner.
//!
//! ```
//! use aimx::record::AnyRecord;
//! use aimx::{Config, Registry, Server, SingleLatest};
//! use aimx_async_std::{IoClock, SmolSpawner};
//! use futures_lite::{AsyncBufReadExt, AsyncWriteExt, StreamExt};
//!
//! static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
//! static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
//! static SERVER: Server<'static, IoClock> =
//!     Server::new(Registry::new(&RECORDS), Config::new().read_write(), IoClock);
//!
//! fn main() -> std::io::Result<()> {
//!     aimx_async_std::install_time();
//!     smol::block_on(async {
//!         let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?; // e.g. 0.0.0.0:7000
//!         let addr = listener.local_addr()?;
//!         let notes = |note: aimx_async_std::SessionNote<'_>| eprintln!("{note}");
//!         smol::spawn(aimx_async_std::serve_incoming(&SERVER, listener, SmolSpawner, notes)).detach();
//!
//!         // A client, saying hello and reading the record.
//!         let mut stream = smol::net::TcpStream::connect(addr).await?;
//!         stream.write_all(b"{\"version\":\"1.0\"}\n{\"id\":1,\"method\":\"record.get\",\"params\":{\"name\":\"config.level\"}}\n").await?;
//!         let mut lines = futures_lite::io::BufReader::new(stream).lines();
//!         assert!(lines.next().await.unwrap()?.contains("\"writable_records\":[\"config.level\"]"));
//!         assert_eq!(lines.next().await.unwrap()?, r#"{"id":1,"result":1}"#);
//!         Ok(())
//!     })
//! }
//! ```
#![deny(missing_docs)]

mod accept;

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aimx::{Clock, Spawn, SpawnError, Timestamp};

pub use accept::{
    close_gracefully, serve_incoming, serve_incoming_until, serve_incoming_with, shutdown, Incoming, Peer, ServeOptions,
};
pub use aimx::server::SessionNote;
pub use aimx_std_net::{rustls, tls, PeerLimits};

/// Wall-clock time since the Unix epoch.
pub fn now() -> Timestamp {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_nanos(since_epoch.as_nanos().min(u64::MAX as u128) as u64)
}

/// Stamp published record values with the wall clock.
pub fn install_time() {
    aimx::time::set_source(now);
}

/// Wall time for timestamps; deadlines on `std::time::Instant`, sleeping on
/// `async-io`'s timer, so a wall-clock step never fires or extends one.
#[derive(Debug, Clone, Copy, Default)]
pub struct IoClock;

/// The zero of [`IoClock::monotonic`]: its first reading.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

impl Clock for IoClock {
    fn now(&self) -> Timestamp {
        now()
    }

    fn monotonic(&self) -> Timestamp {
        let since = Instant::now().saturating_duration_since(base());
        Timestamp::from_nanos(since.as_nanos().min(u64::MAX as u128) as u64)
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        match base().checked_add(Duration::from_nanos(deadline.as_nanos())) {
            Some(at) => drop(async_io::Timer::at(at).await),
            None => std::future::pending().await,
        }
    }
}

/// Spawns onto async-std's global executor.
#[cfg(feature = "async-std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdSpawner;

#[cfg(feature = "async-std")]
impl Spawn for AsyncStdSpawner {
    fn spawn<F>(&self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(future);
        Ok(())
    }
}

/// Spawns onto smol's global executor (detached).
#[cfg(feature = "smol")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolSpawner;

#[cfg(feature = "smol")]
impl Spawn for SmolSpawner {
    fn spawn<F>(&self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        smol::spawn(future).detach();
        Ok(())
    }
}
