//! The floor's fixed answers. Each is shaped and sized like the demo's
//! answer to the same request, so both servers write the same bytes; the
//! load generator reports bytes per reply and per event for both, which
//! shows when they drift apart.

/// The answer to the first line (the hello).
pub const WELCOME: &[u8] = b"{\"version\":\"1.0\",\"server\":\"aimx-demo/0.1.0\",\"permissions\":[\"read\",\"subscribe\",\"write\"],\"writable_records\":[\"config.log_level\",\"actuator.setpoint\"],\"max_subscriptions\":4,\"authenticated\":false}\n";

/// `record.get` of `config.log_level` (ids are fixed at five digits: the
/// floor does not read them).
pub const GET: &[u8] = b"{\"id\":10000,\"result\":\"info\"}\n";

/// `record.set`.
pub const SET: &[u8] = b"{\"id\":10000,\"result\":{\"status\":\"success\",\"value\":\"debug\"}}\n";

/// `record.subscribe`.
pub const SUBSCRIBE: &[u8] = b"{\"id\":10000,\"result\":{\"subscription_id\":\"sub-1\",\"queue_size\":16}}\n";

/// `record.unsubscribe`.
pub const UNSUBSCRIBE: &[u8] = b"{\"id\":10000,\"result\":{\"subscription_id\":\"sub-1\",\"status\":\"cancelled\"}}\n";

/// An event of `sensor.temperature`, around its sequence number and the
/// `dropped` count.
pub const EVENT_HEAD: &[u8] = b"{\"event\":{\"subscription_id\":\"sub-1\",\"sequence\":";
pub const EVENT_BODY: &[u8] = b",\"data\":{\"celsius\":22.47},\"timestamp\":\"1795791693.481210814\"";
pub const EVENT_DROPPED: &[u8] = b",\"dropped\":";
pub const EVENT_TAIL: &[u8] = b"}}\n";

/// What a request line asks for, told by one byte after `"method":"record.`
/// (no JSON parsing: the floor's whole point is to cost nothing per line).
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Hello,
    Get,
    Set,
    Subscribe,
    Unsubscribe,
}

pub fn kind(line: &[u8]) -> Kind {
    const KEY: &[u8] = b"\"method\":\"record.";
    let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) else {
        return Kind::Hello;
    };
    match (line.get(at + KEY.len()), line.get(at + KEY.len() + 1)) {
        (Some(b's'), Some(b'e')) => Kind::Set,
        (Some(b's'), _) => Kind::Subscribe,
        (Some(b'u'), _) => Kind::Unsubscribe,
        _ => Kind::Get,
    }
}

/// The fixed answer to a line of this kind.
pub fn answer(kind: &Kind) -> &'static [u8] {
    match kind {
        Kind::Hello => WELCOME,
        Kind::Get => GET,
        Kind::Set => SET,
        Kind::Subscribe => SUBSCRIBE,
        Kind::Unsubscribe => UNSUBSCRIBE,
    }
}

/// Appends one event line.
pub fn event(out: &mut Vec<u8>, sequence: u64, dropped: u64) {
    out.extend_from_slice(EVENT_HEAD);
    decimal(out, sequence);
    out.extend_from_slice(EVENT_BODY);
    if dropped > 0 {
        out.extend_from_slice(EVENT_DROPPED);
        decimal(out, dropped);
    }
    out.extend_from_slice(EVENT_TAIL);
}

fn decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_method() {
        assert_eq!(kind(br#"{"hello":{"version":"1.0"}}"#), Kind::Hello);
        assert_eq!(kind(br#"{"id":1,"method":"record.get","params":{}}"#), Kind::Get);
        assert_eq!(kind(br#"{"id":1,"method":"record.set","params":{}}"#), Kind::Set);
        assert_eq!(kind(br#"{"id":1,"method":"record.subscribe","params":{}}"#), Kind::Subscribe);
        assert_eq!(kind(br#"{"id":1,"method":"record.unsubscribe","params":{}}"#), Kind::Unsubscribe);
    }

    #[test]
    fn event_lines() {
        let mut out = Vec::new();
        event(&mut out, 1207, 0);
        event(&mut out, 0, 3);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("\"sequence\":1207,\"data\""), "{text}");
        assert!(!lines[0].contains("dropped"));
        assert!(lines[1].ends_with(",\"dropped\":3}}"), "{text}");
    }
}
