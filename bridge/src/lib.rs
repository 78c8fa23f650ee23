//! `aimx-bridge`: mirrors the records of AimX devices to an MQTT broker and
//! carries writes back. See `docs/bridge.md` for the topic layout and the
//! failure behaviour.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! let config = aimx_bridge::Config::load("examples/bridge.toml".as_ref())?;
//! let bridge = aimx_bridge::Bridge::start(config)?;
//! tokio::signal::ctrl_c().await.ok();
//! bridge.shutdown().await;
//! # Ok(()) }
//! ```

pub mod broker;
pub mod config;
pub mod device;
pub mod health;
pub mod outbox;
pub mod topics;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use config::Config;
use config::{Endpoint, Settings};
use health::{BridgeDrops, Health, Reporter};
use outbox::{Kind, Message, Outbox};
use topics::Topics;

/// Writes waiting per device before further ones are answered `busy`.
const SET_QUEUE: usize = 64;

/// Everything about one device the tasks share.
pub struct DeviceCtx {
    pub device: config::Device,
    pub endpoint: Endpoint,
    pub token: Option<String>,
    pub settings: Settings,
    pub topics: Topics,
    pub outbox: Outbox,
    pub health: Health,
    pub stopping: AtomicBool,
}

impl DeviceCtx {
    /// Queues a message for the broker.
    pub fn push(&self, msg: Message) {
        self.outbox.push(msg);
    }

    /// Queues the current `$status` (retained).
    pub fn push_status(&self) {
        let status = if self.health.device_online.load(Relaxed) { "online" } else { "offline" };
        self.push(Message::latest(self.topics.status(), status));
    }

    /// Queues the outcome of a write on `…/<record>/set/result`.
    pub fn push_result(&self, record: &str, outcome: Result<Value, (&str, &str)>, correlation: Option<Vec<u8>>) {
        self.health.sets.fetch_add(1, Relaxed);
        let payload = match outcome {
            Ok(value) => json!({"ok": true, "value": value}),
            Err((code, message)) => json!({"ok": false, "error": {"code": code, "message": message}}),
        };
        let topic = self.topics.set_result(record);
        let payload = payload.to_string().into_bytes();
        self.push(Message { topic, payload, retain: false, kind: Kind::Reply, meta: None, correlation });
    }

    /// One console line about this device.
    pub fn log(&self, what: &str) {
        if self.settings.console {
            println!("{}: {what}", self.device.name);
        }
    }

    /// The `$stats` document and console line, now.
    pub fn report(&self, reporter: &mut Reporter) -> (Value, String) {
        let per_record = |record: &str| self.outbox.dropped(&self.topics.record(record));
        let drops = BridgeDrops {
            per_record: &per_record,
            total: self.outbox.dropped_total(),
            replies: self.outbox.replies_dropped(),
            queued: self.outbox.len(),
        };
        reporter.report(&self.device.name, &self.health, drops)
    }
}

/// A running bridge: per device, a device task, an MQTT connection and a
/// health reporter.
pub struct Bridge {
    /// One per configured device, in file order.
    pub devices: Vec<Arc<DeviceCtx>>,
    links: Vec<broker::Link>,
    tasks: Vec<JoinHandle<()>>,
}

impl Bridge {
    /// Starts every device (inside a tokio runtime). Fails only on
    /// configuration problems (a missing token variable, an unreadable CA
    /// file); unreachable devices and brokers are retried forever.
    pub fn start(config: Config) -> Result<Bridge, String> {
        // mqtts:// needs a crypto provider; another part may have set one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut bridge = Bridge { devices: Vec::new(), links: Vec::new(), tasks: Vec::new() };
        for device in &config.devices {
            let token = match &device.token_env {
                Some(var) => Some(std::env::var(var).map_err(|_| {
                    format!("device {}: environment variable {var} (token_env) is not set", device.name)
                })?),
                None => None,
            };
            let topics = Topics::new(&config.broker.topic_prefix, &device.name);
            let options = broker::options(&config, &device.name, topics.status())?;
            let ctx = Arc::new(DeviceCtx {
                endpoint: device.endpoint()?,
                device: device.clone(),
                token,
                settings: config.bridge.clone(),
                topics,
                outbox: Outbox::new(config.bridge.queue_limit),
                health: Health::default(),
                stopping: AtomicBool::new(false),
            });
            let (sets_tx, sets_rx) = mpsc::channel(SET_QUEUE);
            bridge.links.push(broker::start(options, ctx.clone(), sets_tx));
            bridge.tasks.push(tokio::spawn(device::run(ctx.clone(), sets_rx)));
            bridge.tasks.push(tokio::spawn(report(ctx.clone())));
            bridge.devices.push(ctx);
        }
        Ok(bridge)
    }

    /// The device named `name`.
    pub fn device(&self, name: &str) -> Option<&Arc<DeviceCtx>> {
        self.devices.iter().find(|d| d.device.name == name)
    }

    /// Stops the device tasks, publishes `offline` for every device and
    /// disconnects from the broker cleanly (so no will is sent on top).
    pub async fn shutdown(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        for (ctx, link) in self.devices.iter().zip(&self.links) {
            ctx.stopping.store(true, Relaxed);
            ctx.health.device_online.store(false, Relaxed);
            // Straight to the connection, ahead of the disconnect.
            let status = ctx.topics.status();
            let _ = link.client.publish(status, rumqttc::v5::mqttbytes::QoS::AtLeastOnce, true, "offline").await;
            let _ = link.client.disconnect().await;
        }
        for link in self.links.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), link.driver).await;
            link.publisher.abort();
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for link in &self.links {
            link.driver.abort();
            link.publisher.abort();
        }
    }
}

async fn report(ctx: Arc<DeviceCtx>) {
    let mut reporter = Reporter::default();
    let mut tick = tokio::time::interval(Duration::from_millis(ctx.settings.stats_interval_ms.max(1)));
    tick.tick().await;
    loop {
        tick.tick().await;
        let (doc, line) = ctx.report(&mut reporter);
        ctx.push(Message::latest(ctx.topics.stats(), doc.to_string()));
        if ctx.settings.console {
            println!("{line}");
        }
    }
}
