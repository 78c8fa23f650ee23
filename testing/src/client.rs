//! A scripted AimX client for tests: it writes requests as lines and reads
//! replies and events as JSON, panicking with the line it saw when the
//! server does something a test did not expect.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use embedded_io_async::{Read, Write};
use serde_json::{json, Value};

use crate::pipe::End;

/// A client on one end of a [`duplex`](crate::duplex) pipe.
///
/// Requests get ids 1, 2, 3…; [`Client::call`] waits for the reply with its
/// id and keeps the events that arrive first in [`Client::events`], where
/// [`Client::next_event`] finds them.
pub struct Client {
    end: End,
    /// Where to write when the server reads another stream than it writes.
    tx: Option<End>,
    buf: Vec<u8>,
    next_id: u64,
    /// Events read while waiting for a reply, oldest first.
    pub events: VecDeque<Value>,
}

impl Client {
    /// A client that reads and writes `end`.
    pub fn new(end: End) -> Self {
        Client { end, tx: None, buf: Vec::new(), next_id: 1, events: VecDeque::new() }
    }

    /// A client that reads replies from `rx` and writes requests to `tx`
    /// (for a server run with `serve_split`).
    pub fn split(rx: End, tx: End) -> Self {
        Client { tx: Some(tx), ..Client::new(rx) }
    }

    /// Write at most `n` bytes per call (1 = byte by byte): the server sees
    /// every request in pieces.
    pub fn chunked(mut self, n: usize) -> Self {
        match &mut self.tx {
            Some(tx) => tx.set_max_write(n),
            None => self.end.set_max_write(n),
        }
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
            let mut chunk = [0u8; 1024];
            let n = self.end.read(&mut chunk).await.expect("reading the pipe failed");
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
        let mut total = core::mem::take(&mut self.buf).len();
        let mut chunk = [0u8; 1024];
        loop {
            match self.end.read(&mut chunk).await.expect("reading the pipe failed") {
                0 => return total,
                n => total += n,
            }
        }
    }

    /// Whether the server closed the stream (after any remaining lines).
    pub async fn closed(&mut self) -> bool {
        self.line().await.is_none()
    }

    /// Sends the flat hello and returns the server's answer (the welcome,
    /// or an error object).
    pub async fn hello(&mut self) -> Value {
        self.send(r#"{"version":"1.0","client":"aimx-testing"}"#).await;
        self.json().await
    }

    /// As [`Client::hello`], with a token.
    pub async fn hello_with_token(&mut self, token: &str) -> Value {
        self.send(&json!({"version": "1.0", "client": "aimx-testing", "token": token}).to_string()).await;
        self.json().await
    }

    /// Sends a request and returns its whole reply (with `result` or
    /// `error`); events that arrive first are kept in `events`.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"id": id, "method": method, "params": params}).to_string()).await;
        self.reply(id).await
    }

    /// Reads until the reply with `id`, keeping events.
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
        reply["error"]["code"].as_str().unwrap_or_else(|| panic!("{method} did not fail: {reply}")).into()
    }

    /// Subscribes to `record` (default queue size, initial value sent) and
    /// returns the subscription id; panics if the server refuses.
    pub async fn subscribe(&mut self, record: &str) -> String {
        let result = self.ok("record.subscribe", json!({ "name": record })).await;
        result["subscription_id"].as_str().unwrap_or_else(|| panic!("no subscription_id in {result}")).into()
    }

    /// The next event (kept or read), as its inner `event` object:
    /// `{"subscription_id", "sequence", "data", "timestamp", …}`.
    pub async fn next_event(&mut self) -> Value {
        let v = match self.events.pop_front() {
            Some(v) => v,
            None => self.json().await,
        };
        assert!(v.get("event").is_some(), "expected an event, got {v}");
        v["event"].clone()
    }
}
