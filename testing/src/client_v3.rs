//! A scripted AimX v3 client: `"t"`-tagged frames, as NDJSON lines or as
//! 4-byte big-endian length-prefixed frames (AimDB's TCP framing).

use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use embedded_io_async::{Read, Write};
use serde_json::{json, Value};

use crate::pipe::End;

/// How a [`V3Client`] frames what it sends and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V3Framing {
    /// One JSON object per line.
    Ndjson,
    /// A 4-byte big-endian length, then the JSON (no newline).
    LengthPrefixed,
}

/// A v3 client on one end of a [`duplex`](crate::duplex) pipe.
///
/// Requests get ids 1, 2, 3… (subscriptions too: v3 shares one counter);
/// [`V3Client::call`] keeps the `event`/`snap` frames that arrive before
/// its reply in [`V3Client::updates`].
pub struct V3Client {
    end: End,
    framing: V3Framing,
    buf: Vec<u8>,
    next_id: u64,
    /// Update frames read while waiting for a reply, oldest first.
    pub updates: VecDeque<Value>,
}

impl V3Client {
    /// A client that reads and writes `end` with `framing`.
    pub fn new(end: End, framing: V3Framing) -> Self {
        V3Client { end, framing, buf: Vec::new(), next_id: 1, updates: VecDeque::new() }
    }

    /// Write at most `n` bytes per call: the server sees frames in pieces.
    pub fn chunked(mut self, n: usize) -> Self {
        self.end.set_max_write(n);
        self
    }

    /// The next id this client will use.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends raw bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self.end.write(rest).await.expect("server closed the pipe");
            rest = &rest[n..];
        }
    }

    /// `text` framed as this client frames: a line, or length-prefixed.
    pub fn framed(&self, text: &str) -> Vec<u8> {
        match self.framing {
            V3Framing::Ndjson => [text.as_bytes(), b"\n"].concat(),
            V3Framing::LengthPrefixed => [&(text.len() as u32).to_be_bytes()[..], text.as_bytes()].concat(),
        }
    }

    /// Sends one frame of raw text (it need not be valid JSON).
    pub async fn send_text(&mut self, text: &str) {
        let bytes = self.framed(text);
        self.send_raw(&bytes).await;
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: &Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// The next frame's text; `None` at end of stream.
    pub async fn text(&mut self) -> Option<String> {
        loop {
            let body = match self.framing {
                V3Framing::Ndjson => self.buf.iter().position(|&b| b == b'\n').map(|i| {
                    let line: Vec<u8> = self.buf.drain(..=i).collect();
                    line[..i].to_vec()
                }),
                V3Framing::LengthPrefixed if self.buf.len() >= 4 => {
                    let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
                    (self.buf.len() >= 4 + len).then(|| {
                        let frame: Vec<u8> = self.buf.drain(..4 + len).collect();
                        frame[4..].to_vec()
                    })
                }
                V3Framing::LengthPrefixed => None,
            };
            if let Some(body) = body {
                return Some(String::from_utf8(body).expect("server sent invalid UTF-8"));
            }
            let mut chunk = [0u8; 1024];
            let n = self.end.read(&mut chunk).await.expect("reading the pipe failed");
            if n == 0 {
                assert!(self.buf.is_empty(), "stream ended inside a frame: {:?}", self.buf);
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next frame as JSON; panics at end of stream, on invalid JSON, or
    /// on a frame v3 clients cannot read (`"ok":null`, a numeric `sub`).
    pub async fn json(&mut self) -> Value {
        let text = self.text().await.expect("stream ended");
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        assert!(v.get("t").is_some_and(Value::is_string), "frame without t: {text}");
        assert!(!v.get("ok").is_some_and(Value::is_null), "ok:null hangs v3 clients: {text}");
        if let Some(sub) = v.get("sub") {
            assert!(sub.is_string(), "sub must be a string: {text}");
        }
        v
    }

    /// Whether the server closed the stream (after any remaining frames).
    pub async fn closed(&mut self) -> bool {
        self.text().await.is_none()
    }

    /// Sends a v3 hello with this version and extra params; returns the reply.
    pub async fn hello_as(&mut self, version: &str, extra: Value) -> Value {
        let id = self.next_id();
        let mut params = json!({"client": "aimx-testing", "version": version});
        if let (Some(p), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(extra.clone());
        }
        self.send(&json!({"t": "req", "id": id, "method": "hello", "params": params})).await;
        self.reply(id).await
    }

    /// Sends `hello` as AimDB's CLI does and returns the welcome (`ok`).
    pub async fn hello(&mut self) -> Value {
        let reply = self.hello_as("3.0", json!({})).await;
        reply.get("ok").cloned().unwrap_or_else(|| panic!("hello refused: {reply}"))
    }

    /// Sends a `req` and returns its whole `reply` frame.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id();
        self.send(&json!({"t": "req", "id": id, "method": method, "params": params})).await;
        self.reply(id).await
    }

    /// Reads until the reply with `id`, keeping update frames.
    pub async fn reply(&mut self, id: u64) -> Value {
        loop {
            let v = self.json().await;
            if v["t"] == "event" || v["t"] == "snap" {
                self.updates.push_back(v);
                continue;
            }
            assert_eq!((&v["t"], &v["id"]), (&json!("reply"), &json!(id)), "replies out of order: {v}");
            return v;
        }
    }

    /// A successful call's `ok`; panics on an `err` reply.
    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params).await;
        reply.get("ok").cloned().unwrap_or_else(|| panic!("{method} failed: {reply}"))
    }

    /// A failed call's `err` code; panics on success.
    pub async fn err(&mut self, method: &str, params: Value) -> String {
        let reply = self.call(method, params).await;
        reply["err"].as_str().unwrap_or_else(|| panic!("{method} did not fail: {reply}")).into()
    }

    /// Sends `{"t":"sub","id":N,"topic":topic}` and returns `N` (an accepted
    /// subscription gets no reply; a refusal is a reply to `N`).
    pub async fn sub(&mut self, topic: &str) -> u64 {
        let id = self.next_id();
        self.send(&json!({"t": "sub", "id": id, "topic": topic})).await;
        id
    }

    /// The next `event` or `snap` frame (kept or read).
    pub async fn next_update(&mut self) -> Value {
        let v = match self.updates.pop_front() {
            Some(v) => v,
            None => self.json().await,
        };
        assert!(v["t"] == "event" || v["t"] == "snap", "expected an update, got {v}");
        v
    }
}
