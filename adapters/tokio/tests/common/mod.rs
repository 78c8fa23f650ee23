//! What the hostile-peer and TLS tests share: a fresh server, a line client
//! over any stream, and the accept loop's notes as owned values.
#![allow(dead_code)]

#[path = "../../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd};
use aimx_tokio::{SessionNote, TokioClock};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

pub type TestServer = Server<'static, TokioClock>;

/// A fresh server over fresh demo records (leaked: tests are short-lived).
pub fn server(config: Config<'static>) -> &'static TestServer {
    let records: Vec<&'static dyn AnyRecord> = vec![
        Box::leak(Box::new(records::temperature())),
        Box::leak(Box::new(records::log_level())),
        Box::leak(Box::new(records::setpoint())),
    ];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    Box::leak(Box::new(Server::new(registry, config, TokioClock)))
}

/// A note from the accept loop, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Opened,
    Closed(SessionEnd),
    Dropped(String),
    AcceptFailed(String),
    PeerOverLimit,
}

/// The accept loop's notes, forwarded to the test.
pub fn notes() -> (impl Fn(SessionNote<'_>) + Send + Sync + 'static, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let forward = move |note: SessionNote<'_>| {
        let heard = match note {
            SessionNote::Opened { .. } => Heard::Opened,
            SessionNote::Closed { end, .. } => Heard::Closed(end),
            SessionNote::Dropped { reason, .. } => Heard::Dropped(reason.to_owned()),
            SessionNote::AcceptFailed { error, .. } => Heard::AcceptFailed(error.to_owned()),
            SessionNote::PeerOverLimit { .. } => Heard::PeerOverLimit,
        };
        let _ = tx.send(heard);
    };
    (forward, rx)
}

/// Waits for the first note that `want` picks.
pub async fn hear<T>(rx: &mut mpsc::UnboundedReceiver<Heard>, want: impl Fn(&Heard) -> Option<T>) -> T {
    let wait = async {
        loop {
            let heard = rx.recv().await.expect("the accept loop is gone");
            if let Some(t) = want(&heard) {
                return t;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("not heard within 10 s")
}

pub struct Client<S> {
    pub lines: tokio::io::Lines<BufReader<tokio::io::ReadHalf<S>>>,
    pub tx: tokio::io::WriteHalf<S>,
}

impl<S: AsyncRead + AsyncWrite> Client<S> {
    pub fn new(stream: S) -> Self {
        let (rx, tx) = tokio::io::split(stream);
        Client { lines: BufReader::new(rx).lines(), tx }
    }

    pub async fn send(&mut self, line: &str) {
        self.tx.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        self.tx.flush().await.unwrap();
    }

    /// The next line as JSON; `Ok(None)` at a clean end of stream, `Err` on
    /// a read error (a reset).
    pub async fn next(&mut self) -> std::io::Result<Option<Value>> {
        let line =
            tokio::time::timeout(Duration::from_secs(10), self.lines.next_line()).await.expect("no line in 10 s")?;
        Ok(line.map(|l| serde_json::from_str(&l).unwrap()))
    }

    pub async fn json(&mut self) -> Option<Value> {
        self.next().await.unwrap()
    }

    pub async fn hello(&mut self) -> Value {
        self.send(r#"{"version":"1.0"}"#).await;
        self.json().await.expect("closed instead of a welcome")
    }
}
