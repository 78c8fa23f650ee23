//! The client: handshake, requests matched to replies by id, typed calls.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::codec::{Codec, Framing, Wire};
use crate::error::{Error, Result};
use crate::keepalive::{KeepAlive, LastSent};
use crate::options::Options;
use crate::reader::{self, read_frame};
use crate::state::{Pending, Shared, Slot};
use crate::subscription::Subscription;
use crate::wire::{Event, Incoming, RecordInfo, Welcome};

pub(crate) type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// A connected, greeted AimX v1 session. Calls may run concurrently from
/// several tasks (`&self`); the connection closes when the client is dropped.
pub struct Client {
    welcome: Welcome,
    codec: Codec,
    writer: Arc<Mutex<Writer>>,
    shared: Shared,
    next_id: Arc<AtomicU64>,
    timeout: Duration,
    event_queue: usize,
    reader: JoinHandle<()>,
    /// When this client last wrote: the keep-alive pings after a quiet spell.
    sent: Arc<LastSent>,
    keep_alive: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("server", &self.welcome.server).finish_non_exhaustive()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
        if let Some(keep_alive) = &self.keep_alive {
            keep_alive.abort();
        }
    }
}

async fn within<T>(limit: Duration, what: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| Err(Error::Timeout { what: what.into(), after: limit }))
}

/// A line as quoted in an error: its start, printable, without its `\r`.
/// The id of a v3 hello (v1's hello has none); calls count on from it.
const HELLO_ID: u64 = 1;

/// A v3 welcome is the hello's `ok`; it must speak 3.x.
fn v3_welcome(ok: Value) -> Result<Welcome> {
    let welcome: Welcome = serde_json::from_value(ok).map_err(|e| Error::Protocol(format!("welcome: {e}")))?;
    if !welcome.version.starts_with("3.") && welcome.version != "3" {
        return Err(Error::Protocol(format!("the server speaks {}, this client 3.0", welcome.version)));
    }
    Ok(welcome)
}

fn shown(line: &[u8]) -> String {
    const MAX: usize = 60;
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    let mut out: String = text.chars().take(MAX).map(|c| if c.is_control() { '·' } else { c }).collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

impl Client {
    /// Greets the server over any byte stream and starts reading its lines.
    /// Lines before the welcome that are not a refusal (stale events on a
    /// serial link, a torn line) are skipped when [`Options::resync`] is on;
    /// otherwise the first such line means the peer is not an AimX server
    /// ([`Error::NotAimx`]).
    pub async fn handshake<R, W>(reader: R, writer: W, options: Options) -> Result<Client>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        Client::handshake_with(reader, writer, options, "the server", false).await
    }

    /// [`Self::handshake`], naming the peer (`127.0.0.1:8000`) in errors;
    /// `tcp` picks the default framing.
    pub(crate) async fn handshake_with<R, W>(
        reader: R,
        writer: W,
        options: Options,
        peer: &str,
        tcp: bool,
    ) -> Result<Client>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let codec =
            Codec { wire: options.wire, framing: options.framing.unwrap_or(Framing::default_for(options.wire, tcp)) };
        let mut reader = BufReader::new(reader);
        let mut writer: Writer = Box::new(writer);
        let mut line = if options.resync && codec.framing == Framing::Lines { b"\n".to_vec() } else { Vec::new() };
        line.extend_from_slice(&codec.frame(&codec.hello(&options, HELLO_ID)));
        // The first line that was not AimX, to say what the peer is instead.
        let mut seen: Option<String> = None;
        let not_aimx = |seen: String| Error::NotAimx { peer: peer.to_owned(), seen };
        let greeting = tokio::time::timeout(options.timeout, async {
            writer.write_all(&line).await?;
            writer.flush().await?;
            loop {
                if read_frame(&mut reader, codec.framing, &mut line).await?.is_none() {
                    return Err(match seen.take() {
                        Some(seen) => not_aimx(seen),
                        None => Error::Closed(format!("{peer} closed the connection without answering the hello")),
                    });
                }
                match codec.classify(&line) {
                    Incoming::Welcome(welcome) => return Ok(welcome),
                    Incoming::Refusal(e) | Incoming::Reply(HELLO_ID, Err(e)) => return Err(Error::Rejected(e)),
                    Incoming::Reply(HELLO_ID, Ok(welcome)) => return v3_welcome(welcome),
                    _ if line.trim_ascii().is_empty() => {}
                    // A fresh stream carries nothing before the welcome.
                    _ if !options.resync => return Err(not_aimx(shown(&line))),
                    _ => {
                        seen.get_or_insert_with(|| shown(&line));
                    }
                }
            }
        })
        .await;
        let welcome = match greeting {
            Ok(result) => result?,
            Err(_) => {
                return Err(match seen {
                    Some(seen) => not_aimx(seen),
                    None => Error::Timeout {
                        what: format!("the welcome from {peer} (it sent nothing)"),
                        after: options.timeout,
                    },
                })
            }
        };
        let shared = Shared::default();
        let reader = tokio::spawn(reader::run(reader, shared.clone(), codec));
        let writer = Arc::new(Mutex::new(writer));
        // v1's hello has no id; v3's took the first.
        let next_id = Arc::new(AtomicU64::new(if codec.wire == Wire::V3 { HELLO_ID + 1 } else { 1 }));
        let sent = Arc::new(LastSent::new());
        let keep_alive = options.keep_alive.filter(|every| !every.is_zero()).map(|every| {
            let task = KeepAlive {
                every,
                writer: writer.clone(),
                shared: shared.clone(),
                codec,
                next_id: next_id.clone(),
                sent: sent.clone(),
            };
            tokio::spawn(task.run())
        });
        Ok(Client {
            welcome,
            codec,
            writer,
            shared,
            next_id,
            timeout: options.timeout,
            event_queue: options.event_queue.max(1),
            reader,
            sent,
            keep_alive,
        })
    }

    /// What the server said in its welcome.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// Sends any request and waits for its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.request(method, params, None).await
    }

    async fn request(&self, method: &str, params: Value, events: Option<mpsc::Sender<Event>>) -> Result<Value> {
        // Never 0: the server uses id 0 for replies to unreadable lines.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (pending, answer) = Pending::new(events, None);
        self.expect(id, pending)?;
        let frame = self.codec.frame(&self.codec.request(id, method, params));
        let result = within(self.timeout, &format!("the reply to {method}"), async {
            self.write(&frame).await?;
            answer.await.unwrap_or_else(|_| Err(Error::Closed("the reader stopped".into())))
        })
        .await;
        if result.is_err() {
            self.shared.lock().pending.remove(&id);
        }
        result
    }

    /// Registers a reply awaited for `id`, unless the connection has ended.
    fn expect(&self, id: u64, pending: Pending) -> Result<()> {
        let mut state = self.shared.lock();
        if let Some(ended) = &state.ended {
            return Err(ended.error());
        }
        state.pending.insert(id, pending);
        Ok(())
    }

    async fn write(&self, frame: &[u8]) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer.write_all(frame).await?;
        writer.flush().await?;
        self.sent.touch();
        Ok(())
    }

    /// Sends a v3 `ping` and waits for its `pong`: everything the server
    /// had to say about earlier frames has arrived by then.
    async fn v3_ping(&self) -> Result<()> {
        let (tx, pong) = oneshot::channel();
        within(self.timeout, "the pong", async {
            {
                // Queued while holding the writer, so pongs, which carry no
                // id, are matched in the order the pings went out (the
                // keep-alive's included).
                let mut writer = self.writer.lock().await;
                {
                    let mut state = self.shared.lock();
                    if let Some(ended) = &state.ended {
                        return Err(ended.error());
                    }
                    state.pongs.push_back(Some(tx));
                }
                writer.write_all(&self.codec.frame(r#"{"t":"ping"}"#)).await?;
                writer.flush().await?;
                self.sent.touch();
            }
            pong.await.map_err(|_| self.ended().unwrap_or_else(|| Error::Closed("the reader stopped".into())))
        })
        .await
    }

    /// A fresh request id, never used by this client's own calls: for
    /// requests sent with [`Self::send_line`].
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends one line as it is (a request typed by hand, even a broken one);
    /// its answer shows up on [`Self::tap`]. A trailing newline is added.
    pub async fn send_line(&self, line: &str) -> Result<()> {
        if let Some(ended) = &self.shared.lock().ended {
            return Err(ended.error());
        }
        let frame = self.codec.frame(line);
        within(self.timeout, "sending a line", self.write(&frame)).await
    }

    /// Every line the server sends from now on, as text, in order: for a
    /// console or a log. Typed calls and subscriptions go on working. Up to
    /// `capacity` lines wait to be received; lines beyond that are not
    /// queued (the reader never waits for the tap). The channel closes when
    /// the connection ends ([`Self::ended`] says why). A new tap replaces
    /// the previous one.
    pub fn tap(&self, capacity: usize) -> mpsc::Receiver<String> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let mut state = self.shared.lock();
        if state.ended.is_none() {
            state.tap = Some(tx);
        }
        rx
    }

    /// `record.list`: every record with its buffer, counts and last update.
    pub async fn list(&self) -> Result<Vec<RecordInfo>> {
        let mut list = self.call("record.list", json!({})).await?;
        if self.codec.wire == Wire::V3 {
            crate::v3::record_keys_as_names(&mut list);
        }
        serde_json::from_value(list).map_err(|e| Error::Protocol(format!("record.list: {e}")))
    }

    /// `record.get`: the record's current value.
    pub async fn get(&self, name: &str) -> Result<Value> {
        self.call("record.get", json!({ "name": name })).await
    }

    /// `record.schema`: the JSON description of the record's value type;
    /// `Value::Null` when the record publishes none.
    pub async fn schema(&self, name: &str) -> Result<Value> {
        let mut result = self.call("record.schema", json!({ "name": name })).await?;
        Ok(result.get_mut("schema").map(Value::take).unwrap_or(Value::Null))
    }

    /// `record.drain`: the values newer than this session's drain cursor for
    /// the record (the first call starts the cursor); the whole result,
    /// `{"record_name","values","count","dropped"[,"more"]}`.
    pub async fn drain(&self, name: &str, limit: Option<u32>) -> Result<Value> {
        let mut params = json!({ "name": name });
        if let Some(limit) = limit {
            params["limit"] = limit.into();
        }
        self.call("record.drain", params).await
    }

    /// `record.set`: stores `value`; returns the value now stored.
    pub async fn set(&self, name: &str, value: Value) -> Result<Value> {
        let mut result = self.call("record.set", json!({ "name": name, "value": value })).await?;
        Ok(result.get_mut("value").map(Value::take).unwrap_or(Value::Null))
    }

    /// `record.subscribe` with the server's default queue, current value first.
    pub async fn subscribe(&self, name: &str) -> Result<Subscription> {
        self.subscribe_with(name, json!({ "name": name })).await
    }

    /// `record.subscribe` at most `max_rate_hz` events a second (fractional
    /// allowed): the server sends the latest value once per interval and
    /// counts what it passed over in [`Event::coalesced`](crate::Event::coalesced).
    /// A rate the server does not take is its `invalid_params` error.
    pub async fn subscribe_max_rate(&self, name: &str, max_rate_hz: f64) -> Result<Subscription> {
        self.subscribe_with(name, json!({ "name": name, "max_rate_hz": max_rate_hz })).await
    }

    /// `record.subscribe` with explicit params (`send_initial`, `queue_size`,
    /// `max_rate_hz` or `min_interval_ms`).
    pub async fn subscribe_with(&self, name: &str, mut params: Value) -> Result<Subscription> {
        if self.codec.wire == Wire::V3 {
            return self.v3_subscribe(name, params).await;
        }
        params["name"] = name.into();
        let (tx, events) = mpsc::channel(self.event_queue);
        let result = self.request("record.subscribe", params, Some(tx)).await?;
        let id = result.get("subscription_id").and_then(Value::as_str);
        let id = id.ok_or_else(|| Error::Protocol("record.subscribe: no subscription_id".into()))?.to_owned();
        let queue_size = result.get("queue_size").and_then(Value::as_u64);
        let min_interval_ms = result.get("min_interval_ms").and_then(Value::as_u64);
        Ok(Subscription { id, record: name.to_owned(), queue_size, min_interval_ms, events })
    }

    /// v3: a `sub` frame (its id names the subscription; `name` may be a
    /// pattern with `*` and `#`), then a `ping`. The server answers frames
    /// in order and refuses a sub with a reply, so a `pong` with no refusal
    /// before it means the subscription stands. Extra `params` members
    /// (e.g. `max_rate_hz`) ride along in the frame.
    async fn v3_subscribe(&self, name: &str, params: Value) -> Result<Subscription> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let key = id.to_string();
        let (tx, events) = mpsc::channel(self.event_queue);
        let (pending, refusal) = Pending::new(None, Some(key.clone()));
        self.expect(id, pending)?;
        self.shared.lock().subs.insert(key.clone(), Slot::new(tx));
        // `t` first, as AimDB's tools write it; extra members after it.
        let mut frame = format!(r#"{{"t":"sub","id":{id},"topic":{}"#, Value::from(name));
        if let Value::Object(extra) = params {
            for (k, v) in extra.iter().filter(|(k, _)| !matches!(k.as_str(), "t" | "id" | "topic" | "name")) {
                frame.push_str(&format!(",{}:{v}", Value::from(k.as_str())));
            }
        }
        frame.push('}');
        let sent = within(self.timeout, "sending a sub", self.write(&self.codec.frame(&frame))).await;
        let stood = match sent {
            Ok(()) => self.v3_ping().await,
            Err(e) => Err(e),
        };
        let mut refusal = refusal;
        let outcome = match (stood, refusal.try_recv()) {
            (_, Ok(Err(e))) => Err(e),
            (Err(e), _) => Err(e),
            (Ok(()), _) => Ok(()),
        };
        let mut state = self.shared.lock();
        state.pending.remove(&id);
        if let Err(e) = outcome {
            state.subs.remove(&key);
            return Err(e);
        }
        Ok(Subscription { id: key, record: name.to_owned(), queue_size: None, min_interval_ms: None, events })
    }

    /// Unsubscribes: no event of `sub` arrives after this returns
    /// (`record.unsubscribe` in v1, an `unsub` frame in v3, which has no
    /// answer).
    pub async fn unsubscribe(&self, sub: Subscription) -> Result<()> {
        self.unsubscribe_id(&sub.id).await
    }

    /// [`Self::unsubscribe`] by the subscription's id, for a subscription
    /// whose [`Subscription`] was handed to another task.
    pub async fn unsubscribe_id(&self, id: &str) -> Result<()> {
        if self.codec.wire == Wire::V3 {
            self.shared.lock().subs.remove(id);
            let frame = format!(r#"{{"t":"unsub","sub":{}}}"#, Value::from(id));
            return within(self.timeout, "sending an unsub", self.write(&self.codec.frame(&frame))).await;
        }
        self.call("record.unsubscribe", json!({ "subscription_id": id })).await?;
        self.shared.lock().subs.remove(id);
        Ok(())
    }

    /// `ping` (v1) or a `ping` frame (v3): the round-trip time.
    pub async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        match self.codec.wire {
            Wire::V1 => drop(self.call("ping", json!({})).await?),
            Wire::V3 => self.v3_ping().await?,
        }
        Ok(start.elapsed())
    }

    /// The protocol generation this connection speaks.
    pub fn wire(&self) -> Wire {
        self.codec.wire
    }

    /// `server.stats`: the server's counters.
    pub async fn stats(&self) -> Result<Value> {
        self.call("server.stats", json!({})).await
    }

    /// Why the connection ended, if it has (an event stream that returned
    /// `None` can ask this).
    pub fn ended(&self) -> Option<Error> {
        self.shared.lock().ended.as_ref().map(|e| e.error())
    }
}
