//! The messages of AimX v1 as this client reads them, and line classification.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ErrorCode, ServerError};

/// The server's answer to a hello.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    /// Protocol version, e.g. `"1.0"`.
    pub version: String,
    /// `"<name>/<version>"` of the server.
    pub server: String,
    /// `read`, `subscribe` and maybe `write`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Records `record.set` may change.
    #[serde(default)]
    pub writable_records: Vec<String>,
    /// The per-connection subscription limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_subscriptions: Option<u64>,
    /// Whether a configured token matched.
    #[serde(default)]
    pub authenticated: bool,
    /// Fields this client does not know, kept for `--json` output.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `record.list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInfo {
    /// The record's name.
    pub name: String,
    /// `spmc_ring`, `single_latest` or `mailbox`.
    #[serde(default)]
    pub buffer_type: String,
    /// Capacity, when meaningful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_capacity: Option<u64>,
    /// Local producers.
    #[serde(default)]
    pub producer_count: u64,
    /// Live subscribers, remote and local.
    #[serde(default)]
    pub consumer_count: u64,
    /// Whether `record.set` may change it.
    #[serde(default)]
    pub writable: bool,
    /// `"<secs>.<nanos>"` of the last value, absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<String>,
    /// Every other field (`record_id`, `type_id`, `origin`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One value delivered to a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The subscription it belongs to, e.g. `"sub-1"`.
    pub subscription_id: String,
    /// Values the record produced since the subscription began, from 1.
    pub sequence: u64,
    /// The value.
    pub data: Value,
    /// `"<secs>.<nanos>"` from the server's clock.
    #[serde(default)]
    pub timestamp: String,
    /// Values skipped since the previous delivered event: by the server for a
    /// slow reader, plus any this client had to drop because its own queue
    /// was full. Zero when nothing was lost.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
    /// The record it came from, on a v3 wildcard subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Values a rate-limited subscription passed over since the previous
    /// event because the subscriber asked for fewer (not lost: skipped by
    /// choice). Zero without a rate limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub coalesced: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Seconds of a `"<secs>.<nanos>"` timestamp.
pub fn timestamp_secs(stamp: &str) -> Option<f64> {
    let (secs, nanos) = stamp.split_once('.').unwrap_or((stamp, "0"));
    let secs: u64 = secs.parse().ok()?;
    let nanos: u64 = format!("{nanos:0<9}").get(..9)?.parse().ok()?;
    Some(secs as f64 + nanos as f64 / 1e9)
}

/// What one line from the server is.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A reply to request `id`.
    Reply(u64, Result<Value, ServerError>),
    /// An event, and whether it says itself how many values were lost
    /// before it (v1 always does; v3 may leave it to the `seq` gap).
    Event(Event, bool),
    /// The answer to a v3 `ping`.
    Pong,
    Welcome(Welcome),
    /// An error without an id: a handshake refusal; the server closes.
    Refusal(ServerError),
    /// Not a message (noise on a serial line, a torn line).
    Junk,
}

pub(crate) fn classify(line: &[u8]) -> Incoming {
    let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(line) else {
        return Incoming::Junk;
    };
    if let Some(event) = obj.remove("event") {
        return serde_json::from_value(event).map_or(Incoming::Junk, |ev| Incoming::Event(ev, true));
    }
    let error = obj.remove("error").map(server_error);
    match (obj.get("id").and_then(Value::as_u64), error) {
        (Some(id), Some(error)) => Incoming::Reply(id, Err(error)),
        (Some(id), None) => Incoming::Reply(id, Ok(obj.remove("result").unwrap_or(Value::Null))),
        (None, Some(error)) => Incoming::Refusal(error),
        (None, None) if obj.contains_key("server") => {
            serde_json::from_value(Value::Object(obj)).map_or(Incoming::Junk, Incoming::Welcome)
        }
        (None, None) => Incoming::Junk,
    }
}

fn server_error(error: Value) -> ServerError {
    let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    ServerError { code: ErrorCode::parse(&text("code")), message: text("message") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_kind_of_line() {
        let reply = classify(br#"{"id":3,"result":{"pong":true}}"#);
        assert!(matches!(reply, Incoming::Reply(3, Ok(ref v)) if v["pong"] == true));
        let error = classify(br#"{"id":2,"error":{"code":"not_found","message":"record 'x' not found"}}"#);
        let Incoming::Reply(2, Err(e)) = error else { panic!("{error:?}") };
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::NotFound, "record 'x' not found"));
        let event = classify(
            br#"{"event":{"subscription_id":"sub-1","sequence":12,"data":{"celsius":21.7},"timestamp":"36.5","dropped":4}}"#,
        );
        let Incoming::Event(ev, true) = event else { panic!("{event:?}") };
        assert_eq!((ev.sequence, ev.dropped, ev.data["celsius"].as_f64()), (12, 4, Some(21.7)));
        let refusal = classify(br#"{"error":{"code":"auth_failed","message":"invalid auth token"}}"#);
        assert!(matches!(refusal, Incoming::Refusal(ServerError { code: ErrorCode::AuthFailed, .. })));
        let welcome = classify(br#"{"version":"1.0","server":"d/1","permissions":["read"],"max_subscriptions":4}"#);
        assert!(matches!(welcome, Incoming::Welcome(ref w) if w.server == "d/1" && w.max_subscriptions == Some(4)));
        for junk in [&b"garbage"[..], b"\"celsius\":1}}", b"[1,2]", b"{}"] {
            assert!(matches!(classify(junk), Incoming::Junk), "{junk:?}");
        }
    }

    #[test]
    fn reads_timestamps() {
        assert_eq!(timestamp_secs("35.250000000"), Some(35.25));
        assert_eq!(timestamp_secs("12"), Some(12.0));
        assert_eq!(timestamp_secs("1.5"), Some(1.5));
        assert_eq!(timestamp_secs("x.1"), None);
    }
}
