//! The fixtures over whichever pipe the including module provides as
//! `duplex` (plain in `tests/common`, TLS in `tests/tls`).

use std::future::Future;

use aimx::record::AnyRecord;
use aimx::{Config, Mailbox, Registry, Server, SessionEnd, SingleLatest, SpmcRing};

use super::records::{self, LogLevel, Setpoint, Temperature};
use super::{duplex, Client, ManualClock, V3Client, V3Framing};

/// The records every conformance test sees, fresh for each test.
pub struct Records {
    pub temperature: &'static SpmcRing<Temperature, 16>,
    pub log_level: &'static SingleLatest<LogLevel>,
    pub setpoint: &'static Mailbox<Setpoint>,
    /// A short ring, for lag and overflow tests.
    pub small: &'static SpmcRing<u32, 4>,
    /// A writable string, for escape and size tests.
    pub note: &'static SingleLatest<heapless::String<400>>,
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

impl Records {
    pub fn new() -> Self {
        Records {
            temperature: leak(records::temperature()),
            log_level: leak(records::log_level()),
            setpoint: leak(records::setpoint()),
            small: leak(SpmcRing::new("test.small", "u32")),
            note: leak(SingleLatest::new("test.note", "String").writable()),
        }
    }

    pub fn registry(&self) -> Registry<'static> {
        let list: Vec<&'static dyn AnyRecord> =
            vec![self.temperature, self.log_level, self.setpoint, self.small, self.note];
        Registry::new(Box::leak(list.into_boxed_slice()))
    }
}

/// The default-sized server used by most tests.
pub type TestServer = Server<'static, ManualClock>;

/// A server, its records and its clock.
pub struct Fixture<const SUBS: usize = 4, const LINE: usize = 1024, const OUT: usize = 1024> {
    pub server: &'static Server<'static, ManualClock, SUBS, LINE, OUT>,
    pub records: Records,
    pub clock: ManualClock,
}

impl<const SUBS: usize, const LINE: usize, const OUT: usize> Fixture<SUBS, LINE, OUT> {
    /// A fixture with `config` (read-write unless the test says otherwise).
    pub fn with_config(config: Config<'static>) -> Self {
        let records = Records::new();
        let clock = ManualClock::new();
        let server = leak(Server::new(records.registry(), config, clock.clone()));
        Fixture { server, records, clock }
    }

    /// A session over a fresh pipe with `capacity` bytes each way: the
    /// server's future and the client's end.
    pub fn connect_with(&self, capacity: usize) -> (impl Future<Output = SessionEnd> + 'static, Client) {
        let (server_end, client_end) = duplex(capacity);
        (self.server.serve(server_end), Client::new(client_end))
    }

    pub fn connect(&self) -> (impl Future<Output = SessionEnd> + 'static, Client) {
        self.connect_with(64 * 1024)
    }

    /// A session over separate halves, as on a UART's Rx and Tx: requests
    /// travel one pipe, replies another (4 KiB each).
    pub fn connect_split(&self) -> (impl Future<Output = SessionEnd> + 'static, Client) {
        let (server_rx, client_tx) = duplex(4096);
        let (server_tx, client_rx) = duplex(4096);
        (self.server.serve_split(server_rx, server_tx), Client::split(client_rx, client_tx))
    }

    /// A session with a v3 client that frames as `framing`.
    pub fn connect_v3(&self, framing: V3Framing) -> (impl Future<Output = SessionEnd> + 'static, V3Client) {
        let (server_end, client_end) = duplex(64 * 1024);
        (self.server.serve(server_end), V3Client::new(client_end, framing))
    }
}

/// The usual fixture: read-write, no token, default limits.
pub fn fixture() -> Fixture {
    Fixture::with_config(Config::new().read_write())
}

/// Polls all futures until every one is done (a join without a runtime).
pub async fn join_all<T>(futures: Vec<std::pin::Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    futures_lite::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

/// Live subscribers of a record, as `record.list` reports them.
pub fn consumers(record: &dyn AnyRecord) -> u32 {
    record.info().consumers
}
