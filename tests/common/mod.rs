//! Fixtures shared by the integration tests: an in-memory pipe, a manual
//! clock, the demo records, and a line-oriented test client.
#![allow(dead_code)]

pub mod clock;
pub mod pipe;
#[path = "../../examples/common/records.rs"]
pub mod records;

use std::collections::VecDeque;
use std::future::Future;

use aimx::record::AnyRecord;
use aimx::{Config, Mailbox, Registry, Server, SessionEnd, SingleLatest, SpmcRing};
use embedded_io_async::{Read, Write};
use serde_json::{json, Value};

pub use clock::ManualClock;
pub use pipe::{duplex, End};
use records::{LogLevel, Setpoint, Temperature};

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
}

/// The usual fixture: read-write, no token, default limits.
pub fn fixture() -> Fixture {
    Fixture::with_config(Config::new().read_write())
}

/// Runs a server session and a client body together; returns how the
/// session ended and what the body returned. The client's end is dropped
/// when the body finishes, which ends the session.
pub async fn session<T>(
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

/// A client speaking raw lines, with helpers for requests and events.
pub struct Client {
    end: End,
    /// Where to write when the server reads another stream than it writes.
    tx: Option<End>,
    buf: Vec<u8>,
    next_id: u64,
    /// Events read while waiting for a reply.
    pub events: VecDeque<Value>,
}

impl Client {
    pub fn new(end: End) -> Self {
        Client { end, tx: None, buf: Vec::new(), next_id: 1, events: VecDeque::new() }
    }

    /// A client that reads replies from `rx` and writes requests to `tx`.
    pub fn split(rx: End, tx: End) -> Self {
        Client { tx: Some(tx), ..Client::new(rx) }
    }

    /// Limit each write to `n` bytes (1 = byte-by-byte).
    pub fn chunked(mut self, n: usize) -> Self {
        self.end.max_write = n;
        self
    }

    /// Bytes the server wrote that this client has not read yet.
    pub fn unread(&self) -> usize {
        self.end.pending()
    }

    /// Sends raw bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self.tx.as_mut().unwrap_or(&mut self.end).write(rest).await.expect("server closed the pipe");
            rest = &rest[n..];
        }
    }

    /// Sends one line (a newline is added).
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes()).await;
    }

    /// The next line, without its newline; `None` at end of stream.
    pub async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8(line[..i].to_vec()).expect("server sent invalid UTF-8"));
            }
            let mut chunk = [0u8; 4096];
            let n = self.end.read(&mut chunk).await.unwrap();
            if n == 0 {
                assert!(self.buf.is_empty(), "stream ended inside a line: {:?}", self.buf);
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next line as JSON; panics at end of stream or on invalid JSON.
    pub async fn json(&mut self) -> Value {
        let line = self.line().await.expect("stream ended");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Reads and discards everything until the server closes the stream;
    /// returns how many bytes that was (a cut-off line included).
    pub async fn drain_to_end(&mut self) -> usize {
        let mut total = std::mem::take(&mut self.buf).len();
        let mut chunk = [0u8; 4096];
        loop {
            match self.end.read(&mut chunk).await.unwrap() {
                0 => return total,
                n => total += n,
            }
        }
    }

    /// Whether the server closed the stream (after any remaining lines).
    pub async fn closed(&mut self) -> bool {
        self.line().await.is_none()
    }

    /// Sends the flat hello and returns the welcome.
    pub async fn hello(&mut self) -> Value {
        self.send(r#"{"version":"1.0","client":"aimx-tests"}"#).await;
        self.json().await
    }

    /// Sends a request and returns its reply (`result` or `error` object
    /// included); events that arrive first are queued in `events`.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"id": id, "method": method, "params": params}).to_string()).await;
        self.reply(id).await
    }

    /// Reads until the reply with `id`, queueing events.
    pub async fn reply(&mut self, id: u64) -> Value {
        loop {
            let v = self.json().await;
            if v.get("event").is_some() {
                self.events.push_back(v);
                continue;
            }
            assert_eq!(v["id"], json!(id), "replies out of order: {v}");
            return v;
        }
    }

    /// A successful call's `result`; panics on an error reply.
    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params).await;
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// A failed call's error code; panics on success.
    pub async fn err(&mut self, method: &str, params: Value) -> String {
        let reply = self.call(method, params).await;
        reply["error"]["code"].as_str().unwrap_or_else(|| panic!("{method} did not fail: {reply}")).to_owned()
    }

    /// The next event (queued or read), as its inner `event` object.
    pub async fn event(&mut self) -> Value {
        let v = match self.events.pop_front() {
            Some(v) => v,
            None => self.json().await,
        };
        assert!(v.get("event").is_some(), "expected an event, got {v}");
        v["event"].clone()
    }
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
