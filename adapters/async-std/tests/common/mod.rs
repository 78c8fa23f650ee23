//! What the socket tests share: a line client over any stream.

use futures_lite::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use futures_lite::{AsyncRead, AsyncWrite, StreamExt};
use serde_json::Value;

/// A line client over any stream (TCP, Unix, TLS).
pub struct Client<S> {
    lines: futures_lite::io::Lines<BufReader<futures_lite::io::ReadHalf<S>>>,
    /// The write half, for tests that send raw or partial lines.
    pub tx: futures_lite::io::WriteHalf<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub fn new(stream: S) -> Self {
        let (rx, tx) = futures_lite::io::split(stream);
        Client { lines: BufReader::new(rx).lines(), tx }
    }

    pub async fn send(&mut self, line: &str) {
        self.tx.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        self.tx.flush().await.unwrap();
    }

    /// The next line as JSON; `Ok(None)` at a clean end, `Err` on an error.
    pub async fn next(&mut self) -> std::io::Result<Option<Value>> {
        let line = self.lines.next().await.transpose()?;
        Ok(line.map(|l| serde_json::from_str(&l).unwrap()))
    }

    /// The next line as JSON; panics at the end of the stream or an error.
    pub async fn json(&mut self) -> Value {
        self.next().await.unwrap().expect("closed instead of a line")
    }

    pub async fn hello(&mut self) -> Value {
        self.send(r#"{"version":"1.0"}"#).await;
        self.json().await
    }
}
