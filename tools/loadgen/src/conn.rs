//! One client session: connect, hello, and line-oriented JSON I/O.

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use crate::args::{Args, Target};

pub type Reader = BufReader<Box<dyn AsyncRead + Unpin + Send>>;
pub type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// A connected session (greeted or not).
pub struct Conn {
    pub rx: Reader,
    pub tx: Writer,
    next_id: u64,
    line: String,
    /// The floor does not echo ids: replies are taken in order unchecked.
    floor: bool,
    /// Events read while waiting for replies, in order.
    pub events: Vec<Value>,
}

pub type Res<T> = Result<T, String>;

impl Conn {
    pub async fn connect(args: &Args) -> Res<Conn> {
        let (rx, tx): (Box<dyn AsyncRead + Unpin + Send>, Writer) = match &args.target {
            Target::Unix(path) => {
                let s = tokio::net::UnixStream::connect(path).await.map_err(|e| format!("connect {path}: {e}"))?;
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
            Target::Tcp(addr) => {
                let s = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
                s.set_nodelay(true).map_err(|e| e.to_string())?;
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
        };
        Ok(Conn {
            rx: BufReader::with_capacity(64 * 1024, rx),
            tx,
            next_id: 1,
            line: String::new(),
            floor: args.is_floor,
            events: Vec::new(),
        })
    }

    /// Connects and says hello; the welcome must not be a refusal.
    pub async fn open(args: &Args) -> Res<Conn> {
        let mut c = Conn::connect(args).await?;
        c.hello(args).await?;
        Ok(c)
    }

    /// Sends a hello (at any time: it restarts the session) and checks the welcome.
    pub async fn hello(&mut self, args: &Args) -> Res<Value> {
        let mut hello = json!({"version": "1.0", "client": "aimx-loadgen"});
        if let Some(token) = &args.token {
            hello["auth_token"] = token.clone().into();
        }
        // The bare form is what AimDB's v1 CLI sends, so every v1 server takes it.
        let line = if args.wrapped_hello { json!({ "hello": hello }) } else { hello };
        self.send(&line.to_string()).await?;
        // Events of the old session may still arrive before the welcome.
        loop {
            let v = self.json().await?;
            if v.get("event").is_none() {
                self.events.clear();
                return match v.get("version") {
                    Some(_) if v.get("error").is_none() => Ok(v),
                    _ => Err(format!("hello refused: {v}")),
                };
            }
        }
    }

    pub async fn send(&mut self, line: &str) -> Res<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.tx.write_all(&bytes).await.map_err(|e| format!("write: {e}"))
    }

    /// Sends a request and returns its id.
    pub async fn request(&mut self, method: &str, params: Value) -> Res<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&request_line(id, method, &params)).await?;
        Ok(id)
    }

    /// The next line as it came; an error at end of stream.
    pub async fn raw_line(&mut self) -> Res<&str> {
        read_line(&mut self.rx, &mut self.line).await?;
        Ok(self.line.trim_end_matches(['\n', '\r']))
    }

    /// The next line as JSON.
    pub async fn json(&mut self) -> Res<Value> {
        let line = self.raw_line().await?;
        serde_json::from_str(line).map_err(|e| format!("invalid JSON from server ({e}): {line}"))
    }

    /// A request and its reply (events before it are skipped); `Err` on an error reply.
    pub async fn call(&mut self, method: &str, params: Value) -> Res<Value> {
        self.call_raw(method, params).await.and_then(|v| match v.get("error") {
            Some(e) => Err(format!("{method} failed: {e}")),
            None => Ok(v["result"].clone()),
        })
    }

    /// A request and its whole reply line (result or error); events before it are kept.
    pub async fn call_raw(&mut self, method: &str, params: Value) -> Res<Value> {
        let id = self.request(method, params).await?;
        loop {
            let v = self.json().await?;
            if v.get("event").is_some() {
                self.events.push(v);
                continue;
            }
            if !self.floor && v["id"] != id {
                return Err(format!("reply out of order: wanted id {id}, got {v}"));
            }
            return Ok(v);
        }
    }
}

/// `{"id":ID,"method":METHOD,"params":PARAMS}`.
pub fn request_line(id: u64, method: &str, params: &Value) -> String {
    json!({"id": id, "method": method, "params": params}).to_string()
}

/// Reads one whole line into `buf` (cleared first); an error at end of stream.
pub async fn read_line(rx: &mut Reader, buf: &mut String) -> Res<()> {
    buf.clear();
    match rx.read_line(buf).await {
        Ok(0) => Err("server closed the session".into()),
        Ok(_) if !buf.ends_with('\n') => Err(format!("stream ended inside a line: {buf:?}")),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}
