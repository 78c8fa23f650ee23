//! The topic layout: `<prefix>/<device>/<record>` and friends.

/// Topic names of one device.
#[derive(Debug, Clone)]
pub struct Topics {
    base: String,
}

impl Topics {
    /// Topics under `<prefix>/<device>`.
    pub fn new(prefix: &str, device: &str) -> Topics {
        Topics { base: format!("{prefix}/{device}") }
    }

    /// Where a record's values go.
    pub fn record(&self, record: &str) -> String {
        format!("{}/{record}", self.base)
    }

    /// `online` / `offline`, retained, also the MQTT last will.
    pub fn status(&self) -> String {
        format!("{}/$status", self.base)
    }

    /// Health and drop counts, retained.
    pub fn stats(&self) -> String {
        format!("{}/$stats", self.base)
    }

    /// A new session with the device began: sequences restart, a gap may
    /// have occurred.
    pub fn session(&self) -> String {
        format!("{}/$session", self.base)
    }

    /// What the bridge subscribes to for writes.
    pub fn set_filter(&self) -> String {
        format!("{}/+/set", self.base)
    }

    /// Where the outcome of a write goes.
    pub fn set_result(&self, record: &str) -> String {
        format!("{}/{record}/set/result", self.base)
    }

    /// The record a `…/<record>/set` topic names.
    pub fn parse_set<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let record = topic.strip_prefix(self.base.as_str())?.strip_prefix('/')?.strip_suffix("/set")?;
        (!record.is_empty() && !record.contains('/')).then_some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let t = Topics::new("aimx", "bench-1");
        assert_eq!(t.record("sensor.temperature"), "aimx/bench-1/sensor.temperature");
        assert_eq!(t.status(), "aimx/bench-1/$status");
        assert_eq!(t.set_filter(), "aimx/bench-1/+/set");
        assert_eq!(t.set_result("actuator.setpoint"), "aimx/bench-1/actuator.setpoint/set/result");
        assert_eq!(t.parse_set("aimx/bench-1/actuator.setpoint/set"), Some("actuator.setpoint"));
        for other in ["aimx/bench-1/x/set/result", "aimx/bench-2/x/set", "aimx/bench-1//set", "aimx/bench-1/a/b/set"] {
            assert_eq!(t.parse_set(other), None, "{other}");
        }
    }
}
