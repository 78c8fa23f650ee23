//! What waits to be published for one device, in order, bounded.
//!
//! The device side pushes, the broker side pops while the broker is
//! connected. While it is not (or the queue is full), ring events are dropped
//! and counted; the count is added to the `dropped` of the next event of the
//! same record that gets out, so a consumer sees the gap and its size.
//! Current-value messages (retained) are coalesced per topic: latest wins.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

/// How a message may be treated while it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An event of an `SpmcRing`: dropped (and counted) when it cannot wait.
    Ring,
    /// A current truth (retained): a newer one for the same topic replaces it.
    Latest,
    /// A reply (`set/result`): kept in order; dropped and counted only when
    /// the queue is full.
    Reply,
}

/// Per-event facts carried as MQTT 5 user properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The device's sequence number within this subscription.
    pub sequence: u64,
    /// The device's `"<secs>.<nanos>"`.
    pub timestamp: String,
    /// Values lost just before this one (device + bridge).
    pub dropped: u64,
    /// The bridge's session number with the device (1 for the first).
    pub session: u64,
}

/// One MQTT message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
    pub kind: Kind,
    pub meta: Option<Meta>,
    /// Copied from a `set` request to its result.
    pub correlation: Option<Vec<u8>>,
}

impl Message {
    /// A retained current value (status, marker, stats).
    pub fn latest(topic: String, payload: impl Into<Vec<u8>>) -> Message {
        Message { topic, payload: payload.into(), retain: true, kind: Kind::Latest, meta: None, correlation: None }
    }
}

struct State {
    queue: VecDeque<Message>,
    online: bool,
    /// Ring events dropped per topic and not yet reported in an event.
    unreported: HashMap<String, u64>,
    /// All ring events this bridge dropped, per topic.
    dropped: HashMap<String, u64>,
    /// Replies dropped because the queue was full.
    replies_dropped: u64,
    /// The last current value per topic, published again after the broker
    /// returns (it may have restarted without its retained store).
    current: HashMap<String, Message>,
}

/// The queue of one device.
pub struct Outbox {
    state: Mutex<State>,
    limit: usize,
    ready: Notify,
}

impl Outbox {
    /// A queue holding at most `limit` messages (ring events and replies
    /// beyond it are dropped and counted).
    pub fn new(limit: usize) -> Outbox {
        let state = State {
            queue: VecDeque::new(),
            online: false,
            unreported: HashMap::new(),
            dropped: HashMap::new(),
            replies_dropped: 0,
            current: HashMap::new(),
        };
        Outbox { state: Mutex::new(state), limit: limit.max(1), ready: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `msg`; false if it was dropped (and counted).
    pub fn push(&self, msg: Message) -> bool {
        let mut state = self.lock();
        let full = state.queue.len() >= self.limit;
        match msg.kind {
            Kind::Ring if full || !state.online => {
                *state.unreported.entry(msg.topic.clone()).or_default() +=
                    1 + msg.meta.as_ref().map_or(0, |m| m.dropped);
                *state.dropped.entry(msg.topic).or_default() += 1;
                return false;
            }
            Kind::Reply if full => {
                state.replies_dropped += 1;
                return false;
            }
            Kind::Latest => {
                state.queue.retain(|m| m.topic != msg.topic);
                state.current.insert(msg.topic.clone(), msg.clone());
            }
            _ => {}
        }
        state.queue.push_back(msg);
        drop(state);
        self.ready.notify_one();
        true
    }

    /// Queues every remembered current value again (after a reconnection to
    /// the broker), unless a newer one already waits.
    pub fn republish_current(&self) {
        let mut state = self.lock();
        let waiting: std::collections::HashSet<String> = state.queue.iter().map(|m| m.topic.clone()).collect();
        let mut again: Vec<Message> = state.current.values().filter(|m| !waiting.contains(&m.topic)).cloned().collect();
        again.sort_by(|a, b| a.topic.cmp(&b.topic));
        state.queue.extend(again);
    }

    /// The broker connection came up or went down.
    pub fn set_online(&self, online: bool) {
        self.lock().online = online;
        if online {
            self.ready.notify_one();
        }
    }

    /// The next message, if the broker is up. A ring event carries the drops
    /// of its topic that no earlier event reported.
    pub fn pop(&self) -> Option<Message> {
        let mut state = self.lock();
        if !state.online {
            return None;
        }
        let mut msg = state.queue.pop_front()?;
        if msg.kind == Kind::Ring {
            if let (Some(n), Some(meta)) = (state.unreported.remove(&msg.topic), msg.meta.as_mut()) {
                meta.dropped += n;
            }
        }
        Some(msg)
    }

    /// Waits until something may be ready.
    pub async fn wait(&self) {
        self.ready.notified().await
    }

    /// Ring events dropped by the bridge for `topic`.
    pub fn dropped(&self, topic: &str) -> u64 {
        self.lock().dropped.get(topic).copied().unwrap_or(0)
    }

    /// Ring events dropped by the bridge, all topics.
    pub fn dropped_total(&self) -> u64 {
        self.lock().dropped.values().sum()
    }

    /// Replies dropped because the queue was full.
    pub fn replies_dropped(&self) -> u64 {
        self.lock().replies_dropped
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(topic: &str, sequence: u64, dropped: u64) -> Message {
        let meta = Meta { sequence, timestamp: "1.0".into(), dropped, session: 1 };
        Message {
            topic: topic.into(),
            payload: vec![],
            retain: false,
            kind: Kind::Ring,
            meta: Some(meta),
            correlation: None,
        }
    }

    fn latest(topic: &str, value: &str) -> Message {
        Message {
            topic: topic.into(),
            payload: value.into(),
            retain: true,
            kind: Kind::Latest,
            meta: None,
            correlation: None,
        }
    }

    fn drain(outbox: &Outbox) -> Vec<Message> {
        std::iter::from_fn(|| outbox.pop()).collect()
    }

    #[test]
    fn offline_drops_ring_events_and_reports_them_on_the_next_one() {
        let outbox = Outbox::new(100);
        assert!(!outbox.push(ring("r", 1, 0)));
        assert!(!outbox.push(ring("r", 2, 3)), "an event that itself reports 3 lost ones");
        assert!(outbox.pop().is_none(), "nothing goes out while offline");
        outbox.set_online(true);
        assert!(outbox.push(ring("other", 1, 0)));
        assert!(outbox.push(ring("r", 3, 0)));
        assert!(outbox.push(ring("r", 4, 0)));
        let out: Vec<_> = drain(&outbox).into_iter().map(|m| (m.topic, m.meta.unwrap().dropped)).collect();
        // 1 and 2 were lost by the bridge, and 3 more before 2 by the device.
        assert_eq!(out, [("other".into(), 0), ("r".into(), 5), ("r".into(), 0)]);
        assert_eq!((outbox.dropped("r"), outbox.dropped_total()), (2, 2));
    }

    #[test]
    fn current_values_coalesce_and_survive_an_outage() {
        let outbox = Outbox::new(100);
        outbox.push(latest("a", "1"));
        outbox.push(latest("b", "1"));
        outbox.push(latest("a", "2"));
        outbox.set_online(true);
        let out: Vec<_> = drain(&outbox).into_iter().map(|m| (m.topic, m.payload)).collect();
        assert_eq!(out, [("b".into(), b"1".to_vec()), ("a".into(), b"2".to_vec())]);
        // The broker came back without its retained store: the current
        // values go out again, the newest of each topic once.
        outbox.push(latest("b", "3"));
        outbox.set_online(false);
        outbox.republish_current();
        outbox.set_online(true);
        let out: Vec<_> = drain(&outbox).into_iter().map(|m| (m.topic, m.payload)).collect();
        assert_eq!(out, [("b".into(), b"3".to_vec()), ("a".into(), b"2".to_vec())]);
    }

    #[test]
    fn the_limit_bounds_the_queue() {
        let outbox = Outbox::new(2);
        outbox.set_online(true);
        assert!(outbox.push(ring("r", 1, 0)));
        assert!(outbox.push(ring("r", 2, 0)));
        assert!(!outbox.push(ring("r", 3, 0)));
        let reply = Message { kind: Kind::Reply, ..latest("r/set/result", "{}") };
        assert!(!outbox.push(reply));
        assert!(outbox.push(latest("s", "x")), "current values always fit: one per topic");
        assert_eq!((outbox.len(), outbox.dropped("r"), outbox.replies_dropped()), (3, 1, 1));
    }
}
