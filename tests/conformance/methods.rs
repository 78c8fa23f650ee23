//! `record.list/get/set`, `ping`, `server.stats`, and their errors.

use aimx::{Config, Timestamp};
use serde_json::{json, Value};

use crate::common::records::{LogLevel, Setpoint, Temperature};
use crate::common::{fixture, session, Fixture};

pub async fn list_describes_every_record() {
    let fx = fixture();
    fx.records.temperature.publish_at(Temperature { celsius: 21.5 }, Timestamp::from_millis(35_250));
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "sensor.temperature"})).await;
        let list = c.ok("record.list", json!({})).await;
        let list = list.as_array().expect("record.list returns an array");
        assert_eq!(list.len(), 5);
        assert_eq!(
            list[0],
            json!({
                "record_id": 0, "record_key": "sensor.temperature", "name": "sensor.temperature",
                "type_id": "Temperature", "origin": "source", "buffer_type": "spmc_ring",
                "buffer_capacity": 16, "producer_count": 1, "consumer_count": 1, "writable": false,
                "created_at": "100.000000000", "last_update": "35.250000000",
                "outbound_connector_count": 0
            })
        );
        assert_eq!(list[1]["buffer_type"], "single_latest");
        assert_eq!(list[1]["writable"], true);
        assert_eq!(list[1]["origin"], "passive");
        // An initial value dates from the records' creation, not the epoch.
        assert_eq!(list[1]["last_update"], "100.000000000");
        assert_eq!(list[2]["buffer_type"], "mailbox");
        assert!(list[2].get("last_update").is_none(), "no value yet: {}", list[2]);
        let ids: Vec<_> = list.iter().map(|r| r["record_id"].as_u64().unwrap()).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
    })
    .await;
}

pub async fn list_streams_through_a_small_reply_buffer() {
    // 5 records × ~330 bytes do not fit 256 bytes: the reply goes out in pieces.
    let fx: Fixture<2, 256, 256> = Fixture::with_config(Config::new().read_write());
    session(fx.connect(), async |c| {
        c.hello().await;
        let list = c.ok("record.list", json!({})).await;
        assert_eq!(list.as_array().unwrap().len(), 5);
        assert_eq!(list[4]["name"], "test.note");
    })
    .await;
}

pub async fn get_in_both_forms_and_its_errors() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
        assert_eq!(c.ok("record.get", json!({"record": "config.log_level"})).await, "info");
        // Escapes in the name decode before the lookup.
        c.send(r#"{"id":50,"method":"record.get","params":{"name":"config\u002elog_level"}}"#).await;
        assert_eq!(c.reply(50).await["result"], "info");

        let reply = c.call("record.get", json!({"name": "nope"})).await;
        assert_eq!(reply["error"], json!({"code": "not_found", "message": "record 'nope' not found"}));
        assert_eq!(c.err("record.get", json!({"name": "actuator.setpoint"})).await, "no_value");
        assert_eq!(c.err("record.get", json!({})).await, "invalid_params");
        assert_eq!(c.err("record.get", json!({"name": 3})).await, "invalid_params");
        assert_eq!(c.err("record.get", json!(["config.log_level"])).await, "invalid_params");
        c.send(r#"{"id":60,"method":"record.get"}"#).await;
        assert_eq!(c.reply(60).await["error"]["code"], "invalid_params");
        assert_eq!(c.err("record.frobnicate", json!({})).await, "method_not_found");
    })
    .await;
}

pub async fn set_stores_validates_and_refuses() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let result = c.ok("record.set", json!({"name": "config.log_level", "value": "debug"})).await;
        assert_eq!(result, json!({"status": "success", "value": "debug"}));
        assert_eq!(fx.records.log_level.latest(), Some(LogLevel::Debug));

        let reply = c.call("record.set", json!({"name": "config.log_level", "value": "verbose"})).await;
        assert_eq!(reply["error"]["code"], "validation_error");
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "debug", "nothing stored");

        assert_eq!(c.err("record.set", json!({"name": "config.log_level", "value": 3})).await, "validation_error");
        let reply = c.call("record.set", json!({"name": "sensor.temperature", "value": {"celsius": 1.0}})).await;
        assert_eq!(
            reply["error"],
            json!({"code": "permission_denied", "message": "record 'sensor.temperature' is not writable"})
        );
        assert_eq!(c.err("record.set", json!({"name": "nope", "value": 1})).await, "not_found");
        assert_eq!(c.err("record.set", json!({"name": "config.log_level"})).await, "invalid_params");
        assert_eq!(c.err("record.set", json!({"value": "info"})).await, "invalid_params");
        assert_eq!(fx.records.temperature.sequence(), 0, "refused sets store nothing");
    })
    .await;
}

pub async fn set_decodes_escapes_in_values() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.send(r#"{"id":7,"method":"record.set","params":{"name":"test.note","value":"tab\there \"q\" \u00e9 \ud83d\ude00"}}"#)
            .await;
        let reply = c.reply(7).await;
        assert_eq!(reply["result"]["value"], "tab\there \"q\" é 😀", "{reply}");
        assert_eq!(fx.records.note.latest().unwrap().as_str(), "tab\there \"q\" é 😀");
    })
    .await;
}

pub async fn set_on_a_mailbox_reaches_local_code() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        assert_eq!(fx.records.setpoint.take(), None);
        c.ok("record.set", json!({"name": "actuator.setpoint", "value": {"target_celsius": 22.5}})).await;
        c.ok("record.set", json!({"name": "actuator.setpoint", "value": {"target_celsius": 23.0}})).await;
        // The latest instruction supersedes the untaken one.
        assert_eq!(fx.records.setpoint.take(), Some(Setpoint { target_celsius: 23.0 }));
        assert_eq!(fx.records.setpoint.take(), None);
        // It stays readable remotely.
        assert_eq!(c.ok("record.get", json!({"name": "actuator.setpoint"})).await, json!({"target_celsius": 23.0}));
        let reply = c.call("record.set", json!({"name": "actuator.setpoint", "value": {"target": 1}})).await;
        assert_eq!(reply["error"]["code"], "validation_error");
    })
    .await;
}

pub async fn ping_and_stats() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let pong = c.ok("ping", json!({})).await;
        assert_eq!(pong, json!({"pong": true, "timestamp": "100.000000000"}));
        fx.clock.advance_ms(1_250);
        assert_eq!(c.ok("ping", json!(null)).await["timestamp"], "101.250000000");
        c.send("not json").await;
        c.json().await;
        let stats = c.ok("server.stats", json!({})).await;
        assert_eq!(stats["sessions_open"], 1);
        assert_eq!(stats["sessions_total"], 1);
        assert_eq!(stats["requests"], 3);
        assert_eq!(stats["parse_errors"], 1);
        assert!(stats["bytes_in"].as_u64().unwrap() > 50);
        assert!(stats["bytes_out"].as_u64().unwrap() > 100);
        assert_eq!(stats["started_at"], "100.000000000");
        for key in ["events_sent", "events_dropped", "sessions_refused"] {
            assert_eq!(stats[key], 0, "{key}");
        }
    })
    .await;
}

pub async fn value_too_large_for_the_reply_buffer() {
    let fx: Fixture<2, 1024, 256> = Fixture::with_config(Config::new().read_write());
    let big: String = "x".repeat(300);
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "test.note"})).await;
        assert_eq!(sub["subscription_id"], "sub-1");
        // The set is stored, but its echo does not fit 256 bytes.
        let reply = c.call("record.set", json!({"name": "test.note", "value": big})).await;
        assert_eq!(reply["error"]["code"], "internal_error", "{reply}");
        assert_eq!(fx.records.note.latest().unwrap().len(), 300);
        assert_eq!(c.err("record.get", json!({"name": "test.note"})).await, "internal_error");
        // The oversized value is skipped for the subscriber, who is told
        // so in its place; the next value follows with no gap.
        c.ok("record.set", json!({"name": "test.note", "value": "small"})).await;
        let event = c.next_event().await;
        assert_eq!((event["sequence"].clone(), event["dropped"].clone()), (json!(1), json!(1)), "{event}");
        assert_eq!((event["data"].clone(), event["skipped"].clone()), (Value::Null, json!("too_large")));
        let event = c.next_event().await;
        assert_eq!((event["sequence"].clone(), event.get("dropped")), (json!(2), None), "{event}");
        assert_eq!(event["data"], "small");
        let _: Value = c.ok("ping", json!({})).await;
    })
    .await;
}
