//! One device's MQTT connection: the event loop (connect, reconnect with
//! capped backoff, incoming writes) and the publisher that drains the outbox.
//!
//! Each device has its own connection so that its `$status` can be the
//! connection's last will. Everything is published with QoS 1. Publishes the
//! broker had not acknowledged when the connection broke are kept and sent
//! first on the next connection (at least once: a consumer may see an event
//! twice, with the same sequence number, never a silent hole).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use rumqttc::v5::mqttbytes::v5::{LastWill, Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, Request};
use rumqttc::{TlsConfiguration, Transport};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::outbox::Message;
use crate::DeviceCtx;

/// Publishes awaiting the broker's acknowledgement, per device.
const INFLIGHT: u16 = 100;

/// A write that arrived on `…/<record>/set`.
#[derive(Debug)]
pub struct SetRequest {
    pub record: String,
    pub payload: Vec<u8>,
    pub correlation: Option<Vec<u8>>,
}

/// The running connection of one device.
pub struct Link {
    pub client: AsyncClient,
    pub driver: JoinHandle<()>,
    pub publisher: JoinHandle<()>,
}

/// MQTT options for `device` (client id, will, credentials, TLS).
pub fn options(config: &Config, device: &str, status_topic: String) -> Result<MqttOptions, String> {
    let (tls, host, port) = config.broker_address()?;
    let broker = &config.broker;
    let mut options = MqttOptions::new(format!("{}-{device}", broker.client_id_prefix), host, port);
    options
        .set_keep_alive(std::time::Duration::from_secs(broker.keep_alive_secs))
        .set_clean_start(true)
        .set_connection_timeout(5)
        // The library sizes a table by this (65535 by default: ~13 MiB per
        // connection); the broker's receive maximum lowers it further.
        .set_outgoing_inflight_upper_limit(INFLIGHT)
        .set_last_will(LastWill::new(status_topic, "offline", QoS::AtLeastOnce, true, None));
    if let Some(user) = &broker.username {
        let password = match &broker.password_env {
            Some(var) => {
                std::env::var(var).map_err(|_| format!("broker password: environment variable {var} is not set"))?
            }
            None => String::new(),
        };
        options.set_credentials(user.clone(), password);
    }
    if tls {
        let transport = match &broker.ca_file {
            Some(path) => {
                let ca = std::fs::read(path).map_err(|e| format!("broker ca_file {}: {e}", path.display()))?;
                Transport::tls_with_config(TlsConfiguration::Simple { ca, alpn: None, client_auth: None })
            }
            None => Transport::tls_with_default_config(),
        };
        options.set_transport(transport);
    }
    Ok(options)
}

/// Connects (in the background, retrying forever) and starts publishing.
pub fn start(options: MqttOptions, ctx: Arc<DeviceCtx>, sets: mpsc::Sender<SetRequest>) -> Link {
    let (client, eventloop) = AsyncClient::new(options, 256);
    let driver = tokio::spawn(drive(eventloop, client.clone(), ctx.clone(), sets));
    let publisher = tokio::spawn(publish(client.clone(), ctx));
    Link { client, driver, publisher }
}

async fn drive(mut eventloop: EventLoop, client: AsyncClient, ctx: Arc<DeviceCtx>, sets: mpsc::Sender<SetRequest>) {
    let settings = &ctx.settings;
    let mut backoff = settings.backoff_initial();
    let mut unacked: Vec<Request> = Vec::new();
    let mut connected_before = false;
    let mut failures = 0u64;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // A fresh session (clean start): nothing of the old one is
                // resent by the library, so put back what was never acked.
                eventloop.pending.extend(unacked.drain(..));
                backoff = settings.backoff_initial();
                failures = 0;
                let reconnected = connected_before;
                if reconnected {
                    ctx.health.broker_reconnects.fetch_add(1, Relaxed);
                    ctx.log("broker connection is back");
                }
                connected_before = true;
                ctx.health.broker_online.store(true, Relaxed);
                if let Err(e) = client.try_subscribe(ctx.topics.set_filter(), QoS::AtLeastOnce) {
                    ctx.log(&format!("cannot subscribe to {}: {e}", ctx.topics.set_filter()));
                }
                // The broker may have published our will meanwhile, or lost
                // its retained store: current values go out again.
                ctx.push_status();
                if reconnected {
                    ctx.outbox.republish_current();
                }
                ctx.outbox.set_online(true);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let topic = String::from_utf8_lossy(&publish.topic);
                let Some(record) = ctx.topics.parse_set(&topic) else { continue };
                let correlation = publish.properties.and_then(|p| p.correlation_data).map(|b| b.to_vec());
                let request = SetRequest { record: record.to_owned(), payload: publish.payload.to_vec(), correlation };
                if let Err(mpsc::error::TrySendError::Full(request)) = sets.try_send(request) {
                    let error = ("busy", "too many writes waiting for this device");
                    ctx.push_result(&request.record, Err(error), request.correlation);
                }
            }
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => return,
            Err(e) => {
                ctx.outbox.set_online(false);
                if ctx.stopping.load(Relaxed) {
                    return;
                }
                if ctx.health.broker_online.swap(false, Relaxed) || failures == 0 {
                    ctx.log(&format!(
                        "broker connection failed: {e}; retrying with backoff up to {:?}",
                        settings.backoff_max()
                    ));
                }
                failures += 1;
                for request in eventloop.pending.drain(..) {
                    if let Request::Publish(mut publish) = request {
                        publish.pkid = 0; // a new packet id on the new connection
                        unacked.push(Request::Publish(publish));
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(settings.backoff_max());
            }
        }
    }
}

async fn publish(client: AsyncClient, ctx: Arc<DeviceCtx>) {
    loop {
        while let Some(msg) = ctx.outbox.pop() {
            let (topic, retain, payload) = (msg.topic.clone(), msg.retain, msg.payload.clone());
            if client.publish_with_properties(topic, QoS::AtLeastOnce, retain, payload, properties(msg)).await.is_err()
            {
                return; // the event loop is gone: shutting down
            }
        }
        ctx.outbox.wait().await;
    }
}

fn properties(msg: Message) -> PublishProperties {
    let mut props = PublishProperties { correlation_data: msg.correlation.map(Into::into), ..Default::default() };
    if let Some(meta) = msg.meta {
        props.user_properties = vec![
            ("sequence".into(), meta.sequence.to_string()),
            ("timestamp".into(), meta.timestamp),
            ("dropped".into(), meta.dropped.to_string()),
            ("session".into(), meta.session.to_string()),
        ];
    }
    props
}
