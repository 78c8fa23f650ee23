//! AimX 3.0 frames as this client reads them: flat objects tagged by `"t"`.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, ServerError};
use crate::wire::{Event, Incoming};

pub(crate) fn classify(frame: &[u8]) -> Incoming {
    let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(frame) else {
        return Incoming::Junk;
    };
    match obj.get("t").and_then(Value::as_str) {
        Some("reply") => reply(obj),
        Some("event" | "snap") => event(&mut obj).map_or(Incoming::Junk, |(ev, counted)| Incoming::Event(ev, counted)),
        Some("pong") => Incoming::Pong,
        // `subscribed` acknowledges a sub that needs no acknowledgement.
        _ => Incoming::Junk,
    }
}

fn reply(mut obj: Map<String, Value>) -> Incoming {
    let Some(id) = obj.get("id").and_then(Value::as_u64) else {
        // An error answering no request ends the session (the idle
        // timeout, too many bad frames): the reason the connection ends.
        return match obj.get("err").and_then(Value::as_str) {
            Some(err) => Incoming::Refusal(server_error(err, &obj)),
            None => Incoming::Junk,
        };
    };
    if let Some(err) = obj.get("err").and_then(Value::as_str) {
        return Incoming::Reply(id, Err(server_error(err, &obj)));
    }
    match obj.remove("ok") {
        // A reply with neither (or `ok:null`) answers nothing we can use.
        Some(Value::Null) | None => Incoming::Junk,
        Some(ok) => Incoming::Reply(id, Ok(ok)),
    }
}

/// v3's `record.list` names a record by `record_key` (its `name` is the
/// value's type); this client's [`RecordInfo`](crate::RecordInfo) calls the
/// key `name`, and keeps the type as `type_name`.
pub(crate) fn record_keys_as_names(list: &mut Value) {
    for record in list.as_array_mut().into_iter().flatten() {
        let Some(obj) = record.as_object_mut() else { continue };
        if let Some(key) = obj.remove("record_key") {
            if let Some(type_name) = obj.insert("name".into(), key) {
                obj.insert("type_name".into(), type_name);
            }
        }
    }
}

/// v3's codes are coarse (`not_found`, `denied`, `internal`,
/// `version_mismatch`) and carry no text; a server that says more (a finer
/// `code`, a `message`) is believed.
fn server_error(err: &str, obj: &Map<String, Value>) -> ServerError {
    let code = obj.get("code").and_then(Value::as_str).unwrap_or(err);
    let message = obj.get("message").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
        match err {
            "not_found" => "method or record not found",
            "denied" => "permission denied",
            "version_mismatch" => "the server does not speak this version",
            _ => "the server failed to answer",
        }
        .to_owned()
    });
    ServerError { code: ErrorCode::parse(code), message }
}

/// An `event` or `snap`, and whether it said itself how many values were
/// lost before it (else the client infers it from the `seq` gap).
fn event(obj: &mut Map<String, Value>) -> Option<(Event, bool)> {
    let sub = obj.get("sub").and_then(Value::as_str)?.to_owned();
    let seq = obj.get("seq").and_then(Value::as_u64)?;
    let dropped = obj.get("dropped").and_then(Value::as_u64);
    let timestamp = match obj.get("ts").or_else(|| obj.get("timestamp")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let topic = obj.get("topic").and_then(Value::as_str).map(str::to_owned);
    let coalesced = obj.get("coalesced").and_then(Value::as_u64).unwrap_or(0);
    let data = obj.remove("data").unwrap_or(Value::Null);
    let dropped_or_0 = dropped.unwrap_or(0);
    let event = Event { subscription_id: sub, sequence: seq, data, timestamp, dropped: dropped_or_0, topic, coalesced };
    Some((event, dropped.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_kind_of_frame() {
        let ok = classify(br#"{"t":"reply","id":2,"ok":{"celsius":23.5}}"#);
        assert!(matches!(ok, Incoming::Reply(2, Ok(ref v)) if v["celsius"] == 23.5));
        let err = classify(br#"{"t":"reply","id":2,"err":"not_found"}"#);
        let Incoming::Reply(2, Err(e)) = err else { panic!("{err:?}") };
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::NotFound, "method or record not found"));
        let finer =
            classify(br#"{"t":"reply","id":3,"err":"denied","code":"too_many_subscriptions","message":"8 max"}"#);
        let Incoming::Reply(3, Err(e)) = finer else { panic!("{finer:?}") };
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::TooManySubscriptions, "8 max"));
        let event = classify(br#"{"t":"event","seq":7,"sub":"2","data":{"celsius":24.0}}"#);
        let Incoming::Event(ev, false) = event else { panic!("{event:?}") };
        assert_eq!((ev.subscription_id.as_str(), ev.sequence, ev.topic), ("2", 7, None));
        let snap = classify(br#"{"t":"snap","seq":1,"last":true,"topic":"a.b","sub":"2","data":"info","dropped":0}"#);
        let Incoming::Event(ev, true) = snap else { panic!("{snap:?}") };
        assert_eq!((ev.topic.as_deref(), ev.data.as_str()), (Some("a.b"), Some("info")));
        assert!(matches!(classify(br#"{"t":"pong"}"#), Incoming::Pong));
        for junk in [
            &br#"{"t":"reply","id":2,"ok":null}"#[..],
            br#"{"t":"event","sub":2,"seq":1,"data":1}"#,
            br#"{"t":"subscribed","sub":"2"}"#,
            br#"{"id":1,"result":{}}"#,
            b"garbage",
        ] {
            assert!(matches!(classify(junk), Incoming::Junk), "{}", String::from_utf8_lossy(junk));
        }
    }
}
