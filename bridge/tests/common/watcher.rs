//! A test MQTT 5 client: subscribes to a filter (again after each
//! reconnection) and hands over every message it receives.

use std::collections::HashMap;
use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::mpsc;

/// One received message.
#[derive(Debug, Clone)]
pub struct Msg {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
    pub props: HashMap<String, String>,
    pub correlation: Option<Vec<u8>>,
}

impl Msg {
    /// A numeric user property.
    pub fn num(&self, key: &str) -> u64 {
        self.props.get(key).unwrap_or_else(|| panic!("{} has no {key}: {self:?}", self.topic)).parse().unwrap()
    }

    /// The payload as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or_else(|e| panic!("{}: {e}: {}", self.topic, self.payload))
    }
}

/// A subscribed client and everything it has received so far.
pub struct Watcher {
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Msg>,
    /// Every message taken out by `expect`, in arrival order.
    pub seen: Vec<Msg>,
}

impl Watcher {
    /// Connects to `port` as `id` and subscribes to `filter`.
    pub fn start(port: u16, id: &str, filter: &str) -> Watcher {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let (tx, rx) = mpsc::unbounded_channel();
        let (sub, filter) = (client.clone(), filter.to_owned());
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = sub.try_subscribe(filter.clone(), QoS::AtLeastOnce);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let props = p.properties.clone().unwrap_or_default();
                        let PublishProperties { user_properties, correlation_data, .. } = props;
                        let msg = Msg {
                            topic: String::from_utf8_lossy(&p.topic).into_owned(),
                            payload: String::from_utf8_lossy(&p.payload).into_owned(),
                            retain: p.retain,
                            props: user_properties.into_iter().collect(),
                            correlation: correlation_data.map(|b| b.to_vec()),
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Watcher { client, rx, seen: Vec::new() }
    }

    /// The next message that satisfies `what` within `limit`; every message
    /// on the way is kept in `seen`.
    pub async fn expect(&mut self, limit: Duration, why: &str, what: impl Fn(&Msg) -> bool) -> Msg {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => {
                    self.seen.push(msg.clone());
                    if what(&msg) {
                        return msg;
                    }
                }
                Ok(None) => panic!("the watcher stopped while waiting for {why}"),
                Err(_) => panic!("no message within {limit:?}: {why}"),
            }
        }
    }

    /// Like `expect`, but a message already taken (in `seen`, from index
    /// `from` on) counts too.
    pub async fn seen_or_expect(
        &mut self,
        from: usize,
        limit: Duration,
        why: &str,
        what: impl Fn(&Msg) -> bool,
    ) -> Msg {
        match self.seen[from..].iter().find(|m| what(m)) {
            Some(msg) => msg.clone(),
            None => self.expect(limit, why, what).await,
        }
    }

    /// Takes everything that arrives during `span`.
    pub async fn collect(&mut self, span: Duration) {
        let deadline = tokio::time::Instant::now() + span;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.seen.push(msg);
        }
    }
}
