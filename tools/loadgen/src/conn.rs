//! One client session: connect, hello, and JSON frames in and out (read
//! back in v1's shape whatever the generation, see `frames`).

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use crate::args::{Args, Target};
use crate::frames::Frames;
pub use crate::frames::Res;

pub type Reader = BufReader<Box<dyn AsyncRead + Unpin + Send>>;
pub type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// A connected session (greeted or not).
pub struct Conn {
    pub rx: Reader,
    pub tx: Writer,
    next_id: u64,
    frame: Vec<u8>,
    pub frames: Frames,
    /// The floor does not echo ids: replies are taken in order unchecked.
    floor: bool,
    /// Events read while waiting for replies, in order.
    pub events: Vec<Value>,
}

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
            frame: Vec::new(),
            frames: args.frames(),
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
        let version = if self.frames.v3 { "3.0" } else { "1.0" };
        let mut hello = json!({"version": version, "client": "aimx-loadgen"});
        if let Some(token) = &args.token {
            hello["auth_token"] = token.clone().into();
        }
        if self.frames.v3 {
            // The welcome is the hello's result.
            let reply = self.call_raw("hello", hello).await?;
            self.events.clear();
            return match reply.get("result") {
                Some(welcome) if welcome.get("version").is_some() => Ok(welcome.clone()),
                _ => Err(format!("hello refused: {reply}")),
            };
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

    /// Sends one JSON text, framed.
    pub async fn send(&mut self, text: &str) -> Res<()> {
        let bytes = self.frames.frame(text);
        self.tx.write_all(&bytes).await.map_err(|e| format!("write: {e}"))
    }

    /// Sends a request and returns its id.
    pub async fn request(&mut self, method: &str, params: Value) -> Res<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&self.frames.request(id, method, &params)).await?;
        Ok(id)
    }

    /// The next frame as JSON, in v1's shape.
    pub async fn json(&mut self) -> Res<Value> {
        self.frames.read(&mut self.rx, &mut self.frame).await?;
        self.frames.parse(&self.frame)
    }

    /// v3 has frames for what v1 asks by request: `sub`, `unsub` and `ping`,
    /// none with a reply when all is well. Each is sent followed by a `ping`
    /// (the server answers in order), and answered like v1 would: a refusal
    /// is the reply with the sub's id, the pong stands for success.
    async fn v3_frame_call(&mut self, method: &str, params: &Value) -> Res<Option<Value>> {
        let id = self.next_id;
        let frame = match method {
            "record.subscribe" => {
                let mut sub = json!({"id": id, "topic": params["name"]});
                for (k, v) in params.as_object().into_iter().flatten().filter(|(k, _)| *k != "name") {
                    sub[k] = v.clone();
                }
                let members = sub.to_string();
                format!(r#"{{"t":"sub",{}"#, &members[1..])
            }
            "record.unsubscribe" => format!(r#"{{"t":"unsub","sub":{}}}"#, params["subscription_id"]),
            "ping" => String::new(),
            _ => return Ok(None),
        };
        self.next_id += 1;
        if !frame.is_empty() {
            self.send(&frame).await?;
        }
        self.send(r#"{"t":"ping"}"#).await?;
        // A refusal comes before the pong; the pong is read either way, so
        // it cannot be taken for the answer to a later request.
        let mut refusal = None;
        loop {
            let v = self.json().await?;
            if v.get("event").is_some() {
                self.events.push(v);
            } else if v.get("pong").is_some() {
                let result = match method {
                    "record.subscribe" => json!({"subscription_id": id.to_string()}),
                    "ping" => json!({"pong": true}),
                    _ => json!({"unsubscribed": true}),
                };
                return Ok(Some(refusal.unwrap_or_else(|| json!({"id": id, "result": result}))));
            } else if v["id"] == id && refusal.is_none() {
                refusal = Some(v);
            } else {
                return Err(format!("unexpected frame while waiting for a pong: {v}"));
            }
        }
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
        if self.frames.v3 {
            if let Some(reply) = self.v3_frame_call(method, &params).await? {
                return Ok(reply);
            }
        }
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
