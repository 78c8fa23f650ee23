//! The device side of `aimx ui`: one connection to the device (reconnected
//! with backoff), a subscription to every record, and the messages every open
//! page receives. A page that joins late first gets a snapshot of the latest
//! state, so it never waits for the next change to show something.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aimx_client::{timestamp_secs, Backoff, Client, Error, Event, RecordInfo};
use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

use crate::args::Conn;
use crate::connect;

/// Events are sent to the pages in batches this often: at 1 kHz a page gets
/// 20 messages a second instead of 1000.
const BATCH_EVERY: Duration = Duration::from_millis(50);
/// How often the latency is measured and the record table refreshed.
const PING_EVERY: Duration = Duration::from_secs(1);
const LIST_EVERY: Duration = Duration::from_secs(2);
/// Messages a page may fall behind before it misses some (it is told how
/// many, draws a gap, and its counters stay right: they are totals).
const PAGE_QUEUE: usize = 512;

/// Events and drops seen for one record since `aimx ui` started.
#[derive(Default, Clone, Copy)]
struct Totals {
    events: u64,
    dropped: u64,
}

/// The latest of everything, for pages that join later.
#[derive(Default)]
struct Latest {
    state: Value,
    ping: Option<Value>,
    records: Option<Value>,
    /// The last event of each record, in the page's event format.
    last: BTreeMap<String, Value>,
    totals: BTreeMap<String, Totals>,
    /// Counts connections; a page draws a gap where it changes.
    generation: u64,
}

/// Shared by the device task and the pages.
pub struct Hub {
    latest: Mutex<Latest>,
    pages: broadcast::Sender<Arc<str>>,
    client: watch::Sender<Option<Arc<Client>>>,
    device: String,
}

impl Hub {
    pub fn new(device: String) -> Arc<Hub> {
        let latest = Latest {
            state: json!({"t": "state", "connected": false, "connecting": true, "attempt": 1}),
            ..Latest::default()
        };
        Arc::new(Hub {
            latest: Mutex::new(latest),
            pages: broadcast::channel(PAGE_QUEUE).0,
            client: watch::channel(None).0,
            device,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Latest> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Updates the snapshot and sends the message under the same lock, so a
    /// page joining concurrently sees each change exactly once.
    fn publish(&self, update: impl FnOnce(&mut Latest) -> Value) {
        let mut latest = self.lock();
        let message = update(&mut latest);
        let _ = self.pages.send(message.to_string().into());
    }

    /// A new page: the snapshot to send first, then the live messages.
    pub fn join(&self) -> (Vec<String>, broadcast::Receiver<Arc<str>>) {
        let latest = self.lock();
        let rx = self.pages.subscribe();
        let mut first =
            vec![json!({"t": "hello", "ui": concat!("aimx-cli/", env!("CARGO_PKG_VERSION")), "device": self.device})
                .to_string()];
        first.push(latest.state.to_string());
        first.extend(latest.ping.iter().map(Value::to_string));
        first.extend(latest.records.iter().map(Value::to_string));
        if !latest.last.is_empty() {
            let events: Vec<Value> = latest.last.values().cloned().collect();
            first.push(events_message(&latest, events).to_string());
        }
        (first, rx)
    }

    /// The live client, if the device is connected.
    pub fn client(&self) -> Option<Arc<Client>> {
        self.client.borrow().clone()
    }

    fn set_state(&self, state: Value) {
        self.publish(|latest| {
            let mut state = state;
            state["t"] = "state".into();
            state["generation"] = latest.generation.into();
            latest.state = state.clone();
            state
        });
    }
}

fn events_message(latest: &Latest, events: Vec<Value>) -> Value {
    let totals: Map<String, Value> = latest
        .totals
        .iter()
        .map(|(name, t)| (name.clone(), json!({"events": t.events, "dropped": t.dropped})))
        .collect();
    json!({"t": "events", "generation": latest.generation, "events": events, "totals": totals})
}

/// Connects, serves one connection, and starts over with backoff, forever.
pub async fn run_device(hub: Arc<Hub>, conn: Conn) {
    let mut backoff = Backoff::default();
    let mut attempt = 1u64;
    // The terminal hears about changes only, not every retry.
    let mut last_error = String::new();
    loop {
        hub.set_state(json!({"connected": false, "connecting": true, "attempt": attempt}));
        let why = match connect::connect(&conn).await {
            Ok(client) => {
                backoff.reset();
                attempt = 0;
                let client = Arc::new(client);
                eprintln!("device connected: {}", client.welcome().server);
                last_error.clear();
                hub.publish(|latest| {
                    latest.generation += 1;
                    let w = client.welcome();
                    latest.state = json!({
                        "t": "state", "connected": true, "generation": latest.generation,
                        "server": w.server, "permissions": w.permissions, "writable_records": w.writable_records,
                    });
                    latest.state.clone()
                });
                hub.client.send_replace(Some(client.clone()));
                let why = session(&hub, &client).await;
                hub.client.send_replace(None);
                why
            }
            Err(fail) => fail.message(),
        };
        let delay = backoff.next_delay();
        attempt += 1;
        if why != last_error {
            eprintln!("device not connected: {why} (retrying with backoff)");
            last_error.clone_from(&why);
        }
        hub.set_state(json!({"connected": false, "error": why, "retry_ms": delay.as_millis() as u64}));
        tokio::time::sleep(delay).await;
    }
}

/// One connection: subscribe to every record, forward events in batches,
/// measure latency, refresh the table. Returns why the connection ended.
async fn session(hub: &Arc<Hub>, client: &Arc<Client>) -> String {
    let records = match client.list().await {
        Ok(records) => records,
        Err(e) => return e.to_string(),
    };
    let mut status = Map::new();
    publish_records(hub, &records, &status);
    let (tx, mut rx) = mpsc::channel::<(usize, Event)>(4096);
    let mut tasks = JoinSet::new();
    for (i, record) in records.iter().enumerate() {
        match client.subscribe(&record.name).await {
            Ok(mut sub) => {
                status.insert(record.name.clone(), json!("subscribed"));
                let tx = tx.clone();
                tasks.spawn(async move {
                    while let Some(event) = sub.next().await {
                        if tx.send((i, event)).await.is_err() {
                            return;
                        }
                    }
                });
            }
            // A refusal for one record (permissions, subscription limit)
            // leaves the others live; a broken connection ends the session.
            Err(Error::Server(e)) => {
                status.insert(record.name.clone(), json!(e.to_string()));
            }
            Err(e) => return e.to_string(),
        }
    }
    drop(tx);
    publish_records(hub, &records, &status);
    let (lost_tx, mut lost) = mpsc::channel::<String>(1);
    tasks.spawn(monitor(hub.clone(), client.clone(), status.clone(), lost_tx));

    let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
    let mut batch = Vec::new();
    let mut flush = tokio::time::interval(BATCH_EVERY);
    // With no subscription at all (a server without `subscribe`), only the
    // monitor notices a lost connection.
    let subscribed = status.values().any(|s| s == "subscribed");
    let why = loop {
        tokio::select! {
            item = rx.recv(), if subscribed => match item {
                Some((i, event)) => batch.push((names[i], event)),
                // Subscriptions end only with the connection.
                None => break client.ended().map_or_else(|| "the subscriptions ended".to_owned(), |e| e.to_string()),
            },
            _ = flush.tick() => send_batch(hub, &mut batch),
            Some(why) = lost.recv() => break why,
        }
    };
    send_batch(hub, &mut batch);
    tasks.abort_all();
    why
}

fn send_batch(hub: &Hub, batch: &mut Vec<(&str, Event)>) {
    if batch.is_empty() {
        return;
    }
    hub.publish(|latest| {
        let mut events = Vec::with_capacity(batch.len());
        for (name, event) in batch.drain(..) {
            let totals = latest.totals.entry(name.to_owned()).or_default();
            totals.events += 1;
            totals.dropped += event.dropped;
            let item = json!({
                "r": name, "seq": event.sequence, "stamp": event.timestamp,
                "ts": timestamp_secs(&event.timestamp), "dropped": event.dropped, "data": event.data,
            });
            latest.last.insert(name.to_owned(), item.clone());
            events.push(item);
        }
        events_message(latest, events)
    });
}

fn publish_records(hub: &Hub, records: &[RecordInfo], status: &Map<String, Value>) {
    hub.publish(|latest| {
        let message = json!({"t": "records", "records": records, "subscriptions": status});
        latest.records = Some(message.clone());
        message
    });
}

/// Pings and re-lists until the connection fails; then says why on `lost`.
async fn monitor(hub: Arc<Hub>, client: Arc<Client>, status: Map<String, Value>, lost: mpsc::Sender<String>) {
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut list = tokio::time::interval(LIST_EVERY);
    list.tick().await;
    let failed = loop {
        tokio::select! {
            _ = ping.tick() => match client.ping().await {
                Ok(rtt) => hub.publish(|latest| {
                    let message = json!({"t": "ping", "ms": rtt.as_secs_f64() * 1000.0});
                    latest.ping = Some(message.clone());
                    message
                }),
                Err(Error::Server(_)) => {}
                Err(e) => break e,
            },
            _ = list.tick() => match client.list().await {
                Ok(records) => publish_records(&hub, &records, &status),
                Err(Error::Server(_)) => {}
                Err(e) => break e,
            },
        }
    };
    let _ = lost.send(failed.to_string()).await;
}
