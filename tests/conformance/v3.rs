//! AimX v3 on the same server: framing detection, every frame kind, error
//! mapping, exact and wildcard subscriptions. Each test that is about a
//! frame, not about framing, runs over NDJSON and length-prefixed frames.

use aimx::wire::ErrorCode;
use aimx::{Config, SessionEnd, Token};
use aimx_testing::json;

use super::super::common::records::{self, LogLevel};
use super::super::common::*;

const BOTH: [V3Framing; 2] = [V3Framing::Ndjson, V3Framing::LengthPrefixed];

pub async fn hello_and_every_method_in_both_framings() {
    let fx = fixture();
    for framing in BOTH {
        let (end, ()) = session_v3(fx.connect_v3(framing), async |c| {
            let welcome = c.hello().await;
            assert_eq!(welcome["version"], "3.0");
            assert!(welcome["server"].as_str().unwrap().starts_with("aimx"));
            assert_eq!(welcome["permissions"], json!(["read", "write"]));
            assert_eq!(welcome["max_subscriptions"], 4);
            assert_eq!(welcome["authenticated"], false);
            assert_eq!(welcome["writable_records"], json!(["config.log_level", "actuator.setpoint", "test.note"]));

            let list = c.ok("record.list", json!(null)).await;
            assert_eq!(list.as_array().unwrap().len(), 5);
            for entry in list.as_array().unwrap() {
                for member in [
                    "record_id",
                    "record_key",
                    "name",
                    "type_id",
                    "origin",
                    "buffer_type",
                    "producer_count",
                    "consumer_count",
                    "writable",
                    "outbound_connector_count",
                ] {
                    assert!(entry.get(member).is_some(), "{member} missing in {entry}");
                }
            }
            assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
            // AimDB's code, and ours beside it.
            let missing = c.call("record.get", json!({"name": "no.such.record"})).await;
            assert_eq!((&missing["err"], &missing["code"]), (&json!("not_found"), &json!("not_found")));
            assert!(missing["message"].as_str().unwrap().contains("no.such.record"));
            let no_value = c.call("record.get", json!({"name": "sensor.temperature"})).await;
            assert_eq!((&no_value["err"], &no_value["code"]), (&json!("not_found"), &json!("no_value")));

            let set = c.ok("record.set", json!({"name": "config.log_level", "value": "debug"})).await;
            assert_eq!(set, json!({"status": "success", "value": "debug"}));
            assert_eq!(
                c.err("record.set", json!({"name": "sensor.temperature", "value": {"celsius": 1}})).await,
                "denied"
            );
            let bad = c.call("record.set", json!({"name": "config.log_level", "value": "verbose"})).await;
            assert_eq!((&bad["err"], &bad["code"]), (&json!("internal"), &json!("validation_error")));
            assert_eq!(c.err("record.set", json!({"name": "config.log_level"})).await, "internal");
            assert_eq!(c.ok("record.set", json!({"name": "config.log_level", "value": "info"})).await["value"], "info");

            assert!(c.ok("server.stats", json!(null)).await["requests"].as_u64().unwrap() > 0);
            assert_eq!(c.ok("ping", json!(null)).await["pong"], true);
            assert_eq!(c.ok("record.schema", json!({"name": "config.log_level"})).await["record"], "config.log_level");
            assert_eq!(c.ok("graph.topo_order", json!(null)).await.as_array().unwrap().len(), 5);
            assert!(c.ok("graph.nodes", json!(null)).await.is_array());
            assert!(c.ok("graph.edges", json!(null)).await.is_array());
            let drained = c.ok("record.drain", json!({"name": "config.log_level"})).await;
            assert!(drained["values"].is_array(), "{drained}");
            assert_eq!(c.err("record.query", json!({"name": "*", "limit": 5})).await, "internal");
            assert_eq!(c.err("no.such.method", json!(null)).await, "not_found");

            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
            c.send(&json!({"t": "ping", "id": 99})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
        })
        .await;
        assert_eq!(end, SessionEnd::PeerClosed, "{framing:?}");
    }
}

pub async fn frames_split_across_reads_and_several_in_one_read() {
    let fx = fixture();
    for framing in BOTH {
        // Byte by byte: every frame arrives in pieces.
        let (server, client) = fx.connect_v3(framing);
        session_v3((server, client.chunked(1)), async |c| {
            assert_eq!(c.hello().await["version"], "3.0");
            assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
        })
        .await;
        // Three frames in one write, ids echoed verbatim, replies in order.
        session_v3(fx.connect_v3(framing), async |c| {
            let mut bytes = c.framed(r#"{"t":"req","id":42,"method":"hello","params":{"client":"x","version":"3.0"}}"#);
            bytes.extend(c.framed(r#"{"t":"req","id":9007199254740993,"method":"graph.topo_order"}"#));
            bytes.extend(c.framed(r#"{"t":"req","id":0,"method":"record.get","params":{"name":"config.log_level"}}"#));
            c.send_raw(&bytes).await;
            assert_eq!(c.reply(42).await["ok"]["version"], "3.0");
            assert!(c.reply(9007199254740993).await["ok"].is_array());
            assert_eq!(c.reply(0).await["ok"], "info");
        })
        .await;
    }
}

pub async fn a_frame_over_the_limit_ends_the_session_with_a_reason() {
    let fx = fixture();
    let (end, ()) = session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
        c.hello().await;
        // 5000 bytes announced, the line buffer holds 1024.
        c.send_raw(b"\0\0\x13\x88{").await;
        let refusal = c.json().await;
        assert_eq!((&refusal["err"], &refusal["code"]), (&json!("internal"), &json!("line_too_long")));
        assert_eq!(refusal["message"], "frame of 5000 bytes; the limit is 1020");
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::LineTooLong));
}

pub async fn malformed_frames_are_skipped_or_answered_and_counted() {
    let fx = fixture();
    for framing in BOTH {
        let before = fx.server.stats().parse_errors;
        session_v3(fx.connect_v3(framing), async |c| {
            c.hello().await;
            // No id to answer under: skipped, as AimDB does.
            for bad in [
                "{not json",
                r#"{"t":"req","method":"record.list"}"#,
                r#"{"t":"req","id":"21","method":"record.list"}"#,
                r#"{"t":7}"#,
                r#"{"t":"write","topic":"config.log_level"}"#,
                r#"{"version":"1.0"}"#,
            ] {
                c.send_text(bad).await;
            }
            // With an id: answered (a v1 request too: this session is v3).
            c.send_text(r#"{"id":5,"method":"ping"}"#).await;
            let v1 = c.reply(5).await;
            assert_eq!((&v1["err"], &v1["code"]), (&json!("internal"), &json!("protocol_error")));
            c.send_text(r#"{"t":"bogus","id":20}"#).await;
            assert_eq!(c.reply(20).await["err"], "internal");
            c.send_text(r#"{"t":"sub","id":22}"#).await;
            assert_eq!(c.reply(22).await["err"], "internal");
            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
        })
        .await;
        // The six skipped frames and the three answered ones.
        assert_eq!(fx.server.stats().parse_errors - before, 9, "{framing:?}");
    }
}

pub async fn never_ok_null() {
    let fx = fixture();
    fx.records.note.publish(heapless::String::new());
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        // Every answer goes through `json()`, which fails on `ok:null`.
        for method in ["record.list", "server.stats", "ping", "graph.nodes", "graph.edges", "graph.topo_order"] {
            c.ok(method, json!(null)).await;
        }
        for name in ["config.log_level", "test.note", "actuator.setpoint", "sensor.temperature"] {
            for method in ["record.get", "record.drain", "record.schema"] {
                c.call(method, json!({ "name": name })).await;
            }
        }
    })
    .await;
}

pub async fn v3_version_mismatch_is_refused_and_closed() {
    let fx = fixture();
    for version in ["2.0", "1.0", "", "garbage", "30"] {
        let (end, ()) = session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
            let reply = c.hello_as(version, json!({})).await;
            assert_eq!((&reply["id"], &reply["err"]), (&json!(1), &json!("version_mismatch")), "{version}");
            assert!(c.closed().await);
        })
        .await;
        assert_eq!(end, SessionEnd::Refused(ErrorCode::VersionMismatch));
    }
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        assert_eq!(c.hello_as("3.7", json!({})).await["ok"]["version"], "3.0");
    })
    .await;
}

pub async fn token_in_the_v3_hello() {
    let fx: Fixture = Fixture::with_config(Config::new().read_write().token(Token::new("s3cret")));
    for (extra, code) in [(json!({}), "auth_required"), (json!({"auth_token": "wrong"}), "auth_failed")] {
        let (end, ()) = session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
            let reply = c.hello_as("3.0", extra).await;
            assert_eq!((&reply["err"], &reply["code"]), (&json!("denied"), &json!(code)));
            assert!(c.closed().await);
        })
        .await;
        assert!(matches!(end, SessionEnd::Refused(_)));
    }
    session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
        let welcome = c.hello_as("3.0", json!({"auth_token": "s3cret"})).await;
        assert_eq!(welcome["ok"]["authenticated"], true);
    })
    .await;
}

pub async fn exact_subscription_events_write_and_unsub() {
    let fx = fixture();
    for framing in BOTH {
        fx.records.log_level.publish(LogLevel::Info);
        let before = consumers(fx.records.log_level);
        session_v3(fx.connect_v3(framing), async |c| {
            c.hello().await;
            let id = c.sub("config.log_level").await;
            let first = c.next_update().await;
            assert_eq!(first["t"], "event");
            assert_eq!(
                (&first["sub"], &first["seq"], &first["data"]),
                (&json!(id.to_string()), &json!(1), &json!("info"))
            );
            assert!(first.get("topic").is_none() && first.get("timestamp").is_some());
            // Writes: wrapped as AimDB's client library does, and bare.
            c.send(&json!({"t": "write", "topic": "config.log_level", "payload": {"value": "warn"}})).await;
            let e = c.next_update().await;
            assert_eq!((&e["seq"], &e["data"]), (&json!(2), &json!("warn")));
            c.send(&json!({"t": "write", "topic": "config.log_level", "payload": "error"})).await;
            assert_eq!(c.next_update().await["data"], "error");
            // Refused writes are dropped without a reply.
            c.send(&json!({"t": "write", "topic": "config.log_level", "payload": "verbose"})).await;
            c.send(&json!({"t": "write", "topic": "sensor.temperature", "payload": {"value": {"celsius": 1}}})).await;
            assert_eq!(fx.records.log_level.latest(), Some(LogLevel::Error));
            // Unsubscribed: no more events; an unknown sub is ignored.
            c.send(&json!({"t": "unsub", "sub": id.to_string()})).await;
            c.send(&json!({"t": "unsub", "sub": "12345"})).await;
            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
            fx.records.log_level.publish(LogLevel::Info);
            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
            assert_eq!(consumers(fx.records.log_level), before);
        })
        .await;
    }
}

pub async fn subscription_refusals_reply_to_the_sub_id() {
    let fx = fixture();
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        let id = c.sub("no.such.record").await;
        let reply = c.reply(id).await;
        assert_eq!(reply["err"], "not_found");
        for _ in 0..4 {
            c.sub("config.log_level").await;
        }
        let over = c.sub("config.log_level").await;
        let reply = c.reply(over).await;
        assert_eq!((&reply["err"], &reply["code"]), (&json!("denied"), &json!("too_many_subscriptions")));
        // The four accepted ones each send the current value.
        for _ in 0..4 {
            let e = c.next_update().await;
            assert_eq!((&e["seq"], &e["data"]), (&json!(1), &json!("info")));
        }
    })
    .await;
}

pub async fn seq_jumps_by_what_was_dropped() {
    let fx = fixture();
    let small = fx.records.small;
    session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
        c.hello().await;
        c.sub("test.small").await;
        c.send(&json!({"t": "ping"})).await;
        assert_eq!(c.json().await, json!({"t": "pong"}));
        // Ten values into a 4-deep ring before the session runs again.
        for v in 1..=10u32 {
            small.publish(v);
        }
        let first = c.next_update().await;
        assert_eq!((&first["seq"], &first["data"], &first["dropped"]), (&json!(7), &json!(7), &json!(6)));
        for v in 8..=10u32 {
            let e = c.next_update().await;
            assert_eq!((&e["seq"], &e["data"]), (&json!(v), &json!(v)));
            assert!(e.get("dropped").is_none());
        }
    })
    .await;
}

pub async fn wildcard_snap_burst_then_tagged_events() {
    let fx = fixture();
    let small = fx.records.small;
    for framing in BOTH {
        small.publish(100);
        fx.records.note.publish("hi".try_into().unwrap());
        let before = consumers(small);
        session_v3(fx.connect_v3(framing), async |c| {
            c.hello().await;
            let id = c.sub("test.*").await;
            let sub = json!(id.to_string());
            let s1 = c.next_update().await;
            assert_eq!(s1["t"], "snap");
            assert_eq!(
                (&s1["sub"], &s1["seq"], &s1["topic"], &s1["data"]),
                (&sub, &json!(1), &json!("test.small"), &json!(100))
            );
            assert!(s1.get("last").is_none());
            let s2 = c.next_update().await;
            assert_eq!(
                (&s2["t"], &s2["seq"], &s2["topic"], &s2["last"]),
                (&json!("snap"), &json!(2), &json!("test.note"), &json!(true))
            );
            // Live values continue the sequence, tagged with their record.
            small.publish(101);
            let e = c.next_update().await;
            assert_eq!(
                (&e["t"], &e["seq"], &e["topic"], &e["data"]),
                (&json!("event"), &json!(3), &json!("test.small"), &json!(101))
            );
            c.send(&json!({"t": "write", "topic": "test.note", "payload": {"value": "yo"}})).await;
            let e = c.next_update().await;
            assert_eq!((&e["seq"], &e["topic"], &e["data"]), (&json!(4), &json!("test.note"), &json!("yo")));
            // Six values into a 4-deep ring: the sequence jumps by the two lost.
            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
            for v in 1..=6 {
                small.publish(v);
            }
            let e = c.next_update().await;
            assert_eq!((&e["seq"], &e["data"], &e["dropped"]), (&json!(7), &json!(3), &json!(2)));
            assert_eq!(consumers(small), before + 1);
            // One unsub ends every record of the pattern.
            c.send(&json!({"t": "unsub", "sub": id.to_string()})).await;
            for _ in 0..3 {
                c.next_update().await;
            }
            c.send(&json!({"t": "ping"})).await;
            assert_eq!(c.json().await, json!({"t": "pong"}));
            assert_eq!(consumers(small), before);
        })
        .await;
    }
}

pub async fn wildcard_over_the_cap_or_matching_nothing() {
    let fx = fixture();
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        c.sub("config.log_level").await;
        assert_eq!(c.next_update().await["seq"], 1);
        // Five records, three free slots: refused whole, nothing attached.
        let before = consumers(fx.records.small);
        let all = c.sub("#").await;
        let reply = c.reply(all).await;
        assert_eq!((&reply["err"], &reply["code"]), (&json!("denied"), &json!("too_many_subscriptions")));
        assert_eq!(consumers(fx.records.small), before);
        // A pattern that matches nothing: no frames at all.
        c.sub("nothing.#").await;
        c.send(&json!({"t": "ping"})).await;
        assert_eq!(c.json().await, json!({"t": "pong"}));
        // `#` matches zero segments too; a record without a value gets no snap.
        c.sub("sensor.temperature.#").await;
        c.send(&json!({"t": "ping"})).await;
        assert_eq!(c.json().await, json!({"t": "pong"}));
        assert_eq!(consumers(fx.records.temperature), 1);
    })
    .await;
}

pub async fn replies_larger_than_the_reply_buffer_in_both_framings() {
    // A 256-byte reply buffer: record.list is far larger. Over NDJSON it
    // streams as in v1; length-prefixed, it is measured, declared and
    // streamed, padded with spaces up to the declared length.
    let fx: Fixture<4, 1024, 256> = Fixture::with_config(Config::new().read_write());
    fx.records.note.publish(core::iter::repeat_n('x', 300).collect::<String>().as_str().try_into().unwrap());
    for framing in BOTH {
        session_v3(fx.connect_v3(framing), async |c| {
            c.hello().await;
            let list = c.ok("record.list", json!(null)).await;
            assert_eq!(list.as_array().unwrap().len(), 5, "{framing:?}");
            assert_eq!(c.ok("graph.nodes", json!(null)).await.as_array().unwrap().len(), 5);
            // One value larger than the buffer: refused, the session goes on.
            let big = c.call("record.get", json!({"name": "test.note"})).await;
            assert_eq!((&big["err"], &big["code"]), (&json!("internal"), &json!("internal_error")));
            assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
        })
        .await;
    }
}

pub async fn generations_do_not_mix_within_a_session() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.send(r#"{"t":"req","id":3,"method":"ping"}"#).await;
        let v = c.json().await;
        assert_eq!((&v["id"], &v["error"]["code"]), (&json!(3), &json!("protocol_error")));
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        c.send_text(r#"{"id":4,"method":"ping"}"#).await;
        assert_eq!(c.reply(4).await["err"], "internal");
    })
    .await;
}

pub async fn v3_request_before_hello_is_refused() {
    let fx = fixture();
    let (end, ()) = session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
        c.send(&json!({"t": "req", "id": 7, "method": "record.get", "params": {"name": "config.log_level"}})).await;
        let reply = c.reply(7).await;
        assert_eq!((&reply["err"], &reply["code"]), (&json!("internal"), &json!("protocol_error")));
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::ProtocolError));
}

pub async fn framed_drain_stops_at_the_buffer_and_keeps_the_rest() {
    let fx: Fixture<4, 1024, 256> = Fixture::with_config(Config::new().read_write());
    session_v3(fx.connect_v3(V3Framing::LengthPrefixed), async |c| {
        c.hello().await;
        c.ok("record.drain", json!({"name": "sensor.temperature"})).await;
        for i in 0..16 {
            fx.records.temperature.publish(records::Temperature { celsius: 10.0 + i as f32 * 1.25 });
        }
        let mut got = Vec::new();
        loop {
            let r = c.ok("record.drain", json!({"name": "sensor.temperature"})).await;
            assert_eq!(r["dropped"], 0, "{r}");
            got.extend(r["values"].as_array().unwrap().iter().map(|v| v["celsius"].as_f64().unwrap()));
            if r.get("more").is_none() {
                break;
            }
            assert!(r["count"].as_u64().unwrap() > 0);
        }
        let want: Vec<f64> = (0..16).map(|i| 10.0 + i as f64 * 1.25).collect();
        assert_eq!(got, want);
    })
    .await;
}

pub async fn record_subscribe_in_a_v3_session_is_named_by_its_request_id() {
    let fx = fixture();
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        let result = c.ok("record.subscribe", json!({"name": "config.log_level"})).await;
        // hello was id 1, this call id 2: the events say sub "2".
        assert_eq!(result["subscription_id"], "2");
        let e = c.next_update().await;
        assert_eq!((&e["sub"], &e["seq"], &e["data"]), (&json!("2"), &json!(1), &json!("info")));
        let done = c.ok("record.unsubscribe", json!({"subscription_id": "2"})).await;
        assert_eq!(done["status"], "cancelled");
        assert_eq!(c.err("record.unsubscribe", json!({"subscription_id": "sub-1"})).await, "not_found");
        assert_eq!(consumers(fx.records.log_level), 0);
    })
    .await;
}
