//! One device's side: connect (retrying with capped backoff), subscribe to
//! the linked records with `send_initial`, forward events to the outbox,
//! carry out writes from the broker, ping.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use aimx_client::{Client, Error, Options, Subscription};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::broker::SetRequest;
use crate::config::Endpoint;
use crate::outbox::{Kind, Message, Meta};
use crate::DeviceCtx;

/// Runs the device side forever.
pub async fn run(ctx: Arc<DeviceCtx>, mut sets: mpsc::Receiver<SetRequest>) {
    let settings = &ctx.settings;
    let mut backoff = settings.backoff_initial();
    let mut session = 0u64;
    let mut failures = 0u64;
    loop {
        match connect(&ctx).await {
            Ok(client) => {
                backoff = settings.backoff_initial();
                failures = 0;
                session += 1;
                if session > 1 {
                    ctx.health.device_reconnects.fetch_add(1, Relaxed);
                }
                ctx.log(&format!("device session {session} with {}", client.welcome().server));
                let why = serve(&ctx, client, session, &mut sets).await;
                ctx.health.device_online.store(false, Relaxed);
                ctx.push_status();
                ctx.log(&format!("device lost: {why}; reconnecting with backoff up to {:?}", settings.backoff_max()));
            }
            Err(e) => {
                if failures == 0 {
                    ctx.log(&format!(
                        "cannot reach the device: {e}; retrying with backoff up to {:?}",
                        settings.backoff_max()
                    ));
                }
                failures += 1;
            }
        }
        // Writes that arrive while the device is away are answered, not kept.
        let wait = tokio::time::sleep(backoff);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                Some(request) = sets.recv() => {
                    let refusal = refuse(&ctx, &request.record).unwrap_or(("unavailable", "the device is not connected"));
                    ctx.push_result(&request.record, Err(refusal), request.correlation);
                }
            }
        }
        backoff = (backoff * 2).min(settings.backoff_max());
    }
}

async fn connect(ctx: &DeviceCtx) -> aimx_client::Result<Client> {
    let mut options = Options::default()
        .client_name(concat!("aimx-bridge/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_millis(ctx.settings.device_timeout_ms.max(1)));
    options.token = ctx.token.clone();
    match ctx.endpoint.clone() {
        #[cfg(unix)]
        Endpoint::Unix(path) => Client::connect_unix(path, options).await,
        #[cfg(not(unix))]
        Endpoint::Unix(_) => Err(Error::Io(std::io::Error::other("Unix sockets are not available here"))),
        Endpoint::Tcp(addr) => Client::connect_tcp(&addr, options).await,
        Endpoint::Serial(path, baud) => Client::open_serial(&path, baud, options).await,
    }
}

/// One session: returns why it ended.
async fn serve(ctx: &Arc<DeviceCtx>, client: Client, session: u64, sets: &mut mpsc::Receiver<SetRequest>) -> String {
    let records = match client.list().await {
        Ok(records) => records,
        Err(e) => return format!("record.list failed: {e}"),
    };
    ctx.health.device_online.store(true, Relaxed);
    let linked: Vec<&str> = records.iter().filter(|r| ctx.device.links_to(&r.name)).map(|r| r.name.as_str()).collect();
    // Before any value of this session: sequences restart here.
    let marker =
        json!({"session": session, "server": client.welcome().server, "records": linked, "gap_possible": session > 1});
    ctx.push(Message::latest(ctx.topics.session(), marker.to_string()));
    ctx.push_status();

    let mut forwarders = JoinSet::new();
    for record in records.iter().filter(|r| ctx.device.links_to(&r.name)) {
        // SpmcRing values are a stream; SingleLatest and Mailbox the current truth.
        let kind = if record.buffer_type == "spmc_ring" { Kind::Ring } else { Kind::Latest };
        match client.subscribe_with(&record.name, json!({"send_initial": true})).await {
            Ok(sub) => {
                forwarders.spawn(forward(ctx.clone(), sub, kind, session));
            }
            Err(Error::Server(e)) => ctx.log(&format!("cannot subscribe to {}: {e}", record.name)),
            Err(e) => return format!("record.subscribe failed: {e}"),
        }
    }
    let mut ping = tokio::time::interval(Duration::from_millis(ctx.settings.ping_interval_ms.max(1)));
    let why = loop {
        tokio::select! {
            Some(_) = forwarders.join_next(), if !forwarders.is_empty() => {
                break client.ended().map_or("a subscription ended (the session was restarted)".into(), |e| e.to_string());
            }
            Some(request) = sets.recv() => write(ctx, &client, request).await,
            _ = ping.tick() => match client.ping().await {
                Ok(rtt) => ctx.health.rtt_us.store(rtt.as_micros() as u64, Relaxed),
                Err(e) => break format!("ping failed: {e}"),
            },
        }
    };
    forwarders.abort_all();
    why
}

async fn forward(ctx: Arc<DeviceCtx>, mut sub: Subscription, kind: Kind, session: u64) {
    let topic = ctx.topics.record(sub.record());
    while let Some(event) = sub.next().await {
        ctx.health.event(sub.record(), event.sequence, event.dropped);
        let meta = Meta { sequence: event.sequence, timestamp: event.timestamp, dropped: event.dropped, session };
        let payload = serde_json::to_vec(&event.data).unwrap_or_default();
        let retain = kind == Kind::Latest;
        ctx.push(Message { topic: topic.clone(), payload, retain, kind, meta: Some(meta), correlation: None });
    }
}

/// Why the bridge itself refuses a write to `record`, if it does.
fn refuse(ctx: &DeviceCtx, record: &str) -> Option<(&'static str, &'static str)> {
    (!ctx.device.links_from(record)).then_some(("permission_denied", "the record is not listed under link_from"))
}

async fn write(ctx: &DeviceCtx, client: &Client, request: SetRequest) {
    let SetRequest { record, payload, correlation } = request;
    if let Some(refusal) = refuse(ctx, &record) {
        return ctx.push_result(&record, Err(refusal), correlation);
    }
    let value: Value = match serde_json::from_slice(&payload) {
        Ok(value) => value,
        Err(_) => return ctx.push_result(&record, Err(("parse_error", "the payload is not JSON")), correlation),
    };
    let outcome = match client.set(&record, value).await {
        Ok(stored) => Ok(stored),
        Err(Error::Server(e)) => Err((e.code.as_str().to_owned(), e.message)),
        Err(e) => Err(("unavailable".to_owned(), e.to_string())),
    };
    match outcome {
        Ok(stored) => ctx.push_result(&record, Ok(stored), correlation),
        Err((code, message)) => ctx.push_result(&record, Err((&code, &message)), correlation),
    }
}
