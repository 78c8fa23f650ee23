//! Tokio support for `aimx`: a [`Spawn`] and a [`Clock`] for the tokio
//! runtime, and accept loops that serve every TCP or Unix connection in its
//! own task.
//!
//! ```
//! use aimx::record::AnyRecord;
//! use aimx::{Config, Registry, Server, SingleLatest};
//! use aimx_tokio::TokioClock;
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
//! static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
//! static SERVER: Server<'static, TokioClock> =
//!     Server::new(Registry::new(&RECORDS), Config::new().read_write(), TokioClock);
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     aimx_tokio::install_time();
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?; // e.g. 0.0.0.0:7000
//!     let addr = listener.local_addr()?;
//!     tokio::spawn(aimx_tokio::serve_tcp(&SERVER, listener, |note| eprintln!("{note}")));
//!
//!     // A client, saying hello and reading the record.
//!     let mut stream = tokio::net::TcpStream::connect(addr).await?;
//!     stream.write_all(b"{\"version\":\"1.0\"}\n{\"id\":1,\"method\":\"record.get\",\"params\":{\"name\":\"config.level\"}}\n").await?;
//!     let mut lines = BufReader::new(stream).lines();
//!     assert!(lines.next_line().await?.unwrap().contains("\"writable_records\":[\"config.level\"]"));
//!     assert_eq!(lines.next_line().await?.unwrap(), r#"{"id":1,"result":1}"#);
//!     Ok(())
//! }
//! ```
#![deny(missing_docs)]

mod listen;

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aimx::{Clock, Spawn, SpawnError, Timestamp};

pub use aimx::server::SessionNote;
pub use aimx_std_net::{tls, PeerLimits};
pub use listen::{
    close_gracefully, serve_tcp, serve_tcp_until, serve_tcp_with, serve_unix, serve_unix_until, shutdown, TcpOptions,
};
pub use rustls;

/// Spawns onto the current tokio runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSpawner;

impl Spawn for TokioSpawner {
    fn spawn<F>(&self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| SpawnError)?;
        handle.spawn(future);
        Ok(())
    }
}

/// Wall time for timestamps; deadlines on tokio's monotonic clock (which
/// also follows `tokio::time::pause`), so a wall-clock step never fires or
/// extends one.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

/// Wall-clock time since the Unix epoch.
pub fn now() -> Timestamp {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_nanos(since_epoch.as_nanos().min(u64::MAX as u128) as u64)
}

/// Stamp published record values with the wall clock.
pub fn install_time() {
    aimx::time::set_source(now);
}

/// The zero of [`TokioClock::monotonic`]: its first reading.
fn base() -> tokio::time::Instant {
    static BASE: OnceLock<tokio::time::Instant> = OnceLock::new();
    *BASE.get_or_init(tokio::time::Instant::now)
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        now()
    }

    fn monotonic(&self) -> Timestamp {
        let since = tokio::time::Instant::now().saturating_duration_since(base());
        Timestamp::from_nanos(since.as_nanos().min(u64::MAX as u128) as u64)
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        match base().checked_add(Duration::from_nanos(deadline.as_nanos())) {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}
