//! Health of one device as the bridge sees it: counters updated by the
//! device and broker tasks, turned into `$stats` and a console line.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Per-record counters.
#[derive(Debug, Default, Clone)]
pub struct RecordCounts {
    /// Events received from the device.
    pub events: u64,
    /// Values the device (or the client's queue) reported as dropped.
    pub device_dropped: u64,
    /// The last sequence number seen.
    pub last_sequence: u64,
}

/// Counters of one device.
#[derive(Debug, Default)]
pub struct Health {
    /// Whether a session with the device is up.
    pub device_online: AtomicBool,
    /// Whether the device's broker connection is up.
    pub broker_online: AtomicBool,
    /// Sessions with the device that ended and were opened again.
    pub device_reconnects: AtomicU64,
    /// Broker connections after the first.
    pub broker_reconnects: AtomicU64,
    /// Last `ping` round trip, in microseconds (0 before the first).
    pub rtt_us: AtomicU64,
    /// Events received, all records.
    pub events: AtomicU64,
    /// `set` requests answered (success or error).
    pub sets: AtomicU64,
    records: Mutex<BTreeMap<String, RecordCounts>>,
}

impl Health {
    /// Counts one event of `record`.
    pub fn event(&self, record: &str, sequence: u64, dropped: u64) {
        self.events.fetch_add(1, Relaxed);
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let counts = records.entry(record.to_owned()).or_default();
        counts.events += 1;
        counts.device_dropped += dropped;
        counts.last_sequence = sequence;
    }

    /// A copy of the per-record counters.
    pub fn records(&self) -> BTreeMap<String, RecordCounts> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Turns counters into rates between two reports.
pub struct Reporter {
    last_events: u64,
    last_at: Instant,
}

impl Default for Reporter {
    fn default() -> Self {
        Reporter { last_events: 0, last_at: Instant::now() }
    }
}

/// The bridge-side drop counts the outbox holds, per topic and in total.
pub struct BridgeDrops<'a> {
    pub per_record: &'a dyn Fn(&str) -> u64,
    pub total: u64,
    pub replies: u64,
    pub queued: usize,
}

impl Reporter {
    /// The `$stats` document and the console line for `device`.
    pub fn report(&mut self, device: &str, health: &Health, drops: BridgeDrops<'_>) -> (Value, String) {
        let now = Instant::now();
        let events = health.events.load(Relaxed);
        let secs = now.duration_since(self.last_at).as_secs_f64().max(1e-3);
        let rate = (events - self.last_events) as f64 / secs;
        (self.last_events, self.last_at) = (events, now);
        let online = health.device_online.load(Relaxed);
        let rtt = Duration::from_micros(health.rtt_us.load(Relaxed));
        let records = health.records();
        let device_dropped: u64 = records.values().map(|r| r.device_dropped).sum();
        let per_record: serde_json::Map<String, Value> = records
            .iter()
            .map(|(name, c)| {
                let bridge = (drops.per_record)(name);
                let counts = json!({"events": c.events, "last_sequence": c.last_sequence,
                    "device_dropped": c.device_dropped, "bridge_dropped": bridge});
                (name.clone(), counts)
            })
            .collect();
        let reconnects = health.device_reconnects.load(Relaxed);
        let broker_reconnects = health.broker_reconnects.load(Relaxed);
        let doc = json!({
            "status": if online { "online" } else { "offline" },
            "broker_connected": health.broker_online.load(Relaxed),
            "rtt_ms": (rtt.as_secs_f64() * 1e6).round() / 1e3,
            "events": events,
            "events_per_s": (rate * 10.0).round() / 10.0,
            "device_dropped": device_dropped,
            "bridge_dropped": drops.total,
            "results_dropped": drops.replies,
            "queued": drops.queued,
            "sets": health.sets.load(Relaxed),
            "device_reconnects": reconnects,
            "broker_reconnects": broker_reconnects,
            "records": per_record,
        });
        let line = format!(
            "{device:<16} {:<7} rtt {:>7.2} ms {:>8.1} ev/s  dropped {} device, {} bridge  reconnects {} device, {} broker",
            if online { "online" } else { "offline" },
            rtt.as_secs_f64() * 1e3,
            rate,
            device_dropped,
            drops.total,
            reconnects,
            broker_reconnects,
        );
        (doc, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_counts_per_record_and_in_total() {
        let health = Health::default();
        health.device_online.store(true, Relaxed);
        health.event("sensor.t", 1, 0);
        health.event("sensor.t", 5, 3);
        health.event("config.x", 1, 0);
        let per_record = |r: &str| if r == "sensor.t" { 7 } else { 0 };
        let drops = BridgeDrops { per_record: &per_record, total: 7, replies: 0, queued: 2 };
        let (doc, line) = Reporter::default().report("dev", &health, drops);
        assert_eq!(doc["events"], 3);
        assert_eq!(doc["device_dropped"], 3);
        assert_eq!(doc["bridge_dropped"], 7);
        assert_eq!(doc["records"]["sensor.t"]["last_sequence"], 5);
        assert_eq!(doc["records"]["sensor.t"]["bridge_dropped"], 7);
        assert_eq!(doc["status"], "online");
        assert!(line.starts_with("dev ") && line.contains("dropped 3 device, 7 bridge"), "{line}");
    }
}
