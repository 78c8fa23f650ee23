//! `record.drain` and the `graph.*` methods AimDB v1 tools use.

use aimx::{Config, DRAIN_CURSORS};
use serde_json::json;

use crate::common::records::LogLevel;
use crate::common::{fixture, session, Fixture};

pub async fn drain_returns_each_value_once_with_dropped() {
    let fx = fixture();
    fx.records.small.publish(1);
    session(fx.connect(), async |c| {
        c.hello().await;
        // The first drain starts the cursor at the newest value.
        let first = c.ok("record.drain", json!({"name": "test.small"})).await;
        assert_eq!(first, json!({"record_name": "test.small", "values": [], "count": 0, "dropped": 0}));
        fx.records.small.publish(2);
        fx.records.small.publish(3);
        let r = c.ok("record.drain", json!({"record": "test.small"})).await;
        assert_eq!(
            (r["values"].clone(), r["count"].clone(), r["dropped"].clone()),
            (json!([2, 3]), json!(2), json!(0))
        );
        assert_eq!(c.ok("record.drain", json!({"name": "test.small"})).await["count"], 0, "nothing new");
        // The ring keeps 4: of 6 new values, the 2 oldest are gone and counted.
        for v in 4..10 {
            fx.records.small.publish(v);
        }
        let r = c.ok("record.drain", json!({"name": "test.small"})).await;
        assert_eq!((r["values"].clone(), r["dropped"].clone()), (json!([6, 7, 8, 9]), json!(2)), "{r}");
        assert!(r.get("more").is_none(), "{r}");
    })
    .await;
}

pub async fn drain_limit_leaves_the_rest_for_the_next_call() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.drain", json!({"name": "test.small"})).await;
        for v in 1..=3 {
            fx.records.small.publish(v);
        }
        let r = c.ok("record.drain", json!({"name": "test.small", "limit": 2})).await;
        assert_eq!((r["values"].clone(), r["more"].clone()), (json!([1, 2]), json!(true)), "{r}");
        let r = c.ok("record.drain", json!({"name": "test.small", "limit": 2})).await;
        assert_eq!((r["values"].clone(), r.get("more")), (json!([3]), None), "{r}");
        assert_eq!(c.err("record.drain", json!({"name": "test.small", "limit": 0})).await, "invalid_params");
        assert_eq!(c.err("record.drain", json!({"name": "nope"})).await, "not_found");
        assert_eq!(c.err("record.drain", json!({})).await, "invalid_params");
    })
    .await;
}

pub async fn drain_streams_past_a_small_reply_buffer_and_counts_what_never_fits() {
    // 256-byte replies: 3 notes of ~120 bytes need several pieces; a 300-byte
    // note cannot be sent at all and is counted as dropped in its place.
    let fx: Fixture<2, 1024, 256> = Fixture::with_config(Config::new().read_write());
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.drain", json!({"name": "sensor.temperature"})).await;
        for celsius in [1.5, 2.5] {
            fx.records.temperature.publish(crate::common::records::Temperature { celsius });
        }
        let r = c.ok("record.drain", json!({"name": "sensor.temperature"})).await;
        assert_eq!(r["values"], json!([{"celsius": 1.5}, {"celsius": 2.5}]), "{r}");
        // A single-latest record: only its newest value is kept.
        c.ok("record.drain", json!({"name": "test.note"})).await;
        let big = "x".repeat(300);
        c.ok("record.set", json!({"name": "test.note", "value": "a".repeat(120)})).await;
        assert_eq!(c.ok("record.drain", json!({"name": "test.note"})).await["count"], 1);
        c.call("record.set", json!({"name": "test.note", "value": big})).await; // echo too large
        let r = c.ok("record.drain", json!({"name": "test.note"})).await;
        assert_eq!((r["count"].clone(), r["dropped"].clone()), (json!(0), json!(1)), "{r}");
    })
    .await;
}

pub async fn drain_cursors_are_bounded_per_session_and_reset_by_hello() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let names = ["sensor.temperature", "config.log_level", "actuator.setpoint", "test.small", "test.note"];
        assert!(names.len() > DRAIN_CURSORS);
        for name in &names[..DRAIN_CURSORS] {
            c.ok("record.drain", json!({"name": name})).await;
        }
        fx.records.log_level.publish(LogLevel::Debug);
        // A fifth record evicts the least recently drained (the first).
        c.ok("record.drain", json!({"name": names[DRAIN_CURSORS]})).await;
        assert_eq!(c.ok("record.drain", json!({"name": "config.log_level"})).await["values"], json!(["debug"]));
        fx.records.log_level.publish(LogLevel::Warn);
        // A new hello starts the session over: its first drain starts again.
        c.hello().await;
        assert_eq!(c.ok("record.drain", json!({"name": "config.log_level"})).await["count"], 0);
    })
    .await;
}

pub async fn graph_nodes_edges_and_order() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let nodes = c.ok("graph.nodes", json!({})).await;
        assert_eq!(nodes.as_array().unwrap().len(), 5);
        assert_eq!(
            nodes[0],
            json!({"key": "sensor.temperature", "origin": "source", "buffer_type": "spmc_ring",
                   "buffer_capacity": 16, "tap_count": 0, "has_outbound_link": false})
        );
        assert_eq!((nodes[1]["origin"].clone(), nodes[1]["buffer_capacity"].clone()), (json!("passive"), json!(null)));
        // Only records with an origin have an inbound edge.
        let edges = c.ok("graph.edges", json!({})).await;
        assert_eq!(edges, json!([{"from": null, "to": "sensor.temperature", "edge_type": "source"}]));
        let order = c.ok("graph.topo_order", json!({})).await;
        assert_eq!(
            order,
            json!(["sensor.temperature", "config.log_level", "actuator.setpoint", "test.small", "test.note"])
        );
    })
    .await;
}

pub async fn schema_describes_the_value_type() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let r = c.ok("record.schema", json!({"name": "sensor.temperature"})).await;
        assert_eq!(
            r,
            json!({"record": "sensor.temperature", "type_id": "Temperature", "schema": {
                "type": "struct", "name": "Temperature", "fields": [{
                    "name": "celsius", "type": {"type": "float", "name": "f32", "bits": 32},
                    "doc": "Degrees Celsius.", "unit": "°C", "min": -40, "max": 125
                }]
            }})
        );
        // Variant names as serde writes them (`rename_all = "lowercase"`).
        let r = c.ok("record.schema", json!({"record": "config.log_level"})).await;
        let names: Vec<_> = r["schema"]["variants"].as_array().unwrap().iter().map(|v| v["name"].clone()).collect();
        assert_eq!(names, ["info", "debug", "warn", "error"]);
        // A record that publishes no description says so.
        assert_eq!(c.ok("record.schema", json!({"name": "test.small"})).await["schema"], json!(null));
        assert_eq!(c.err("record.schema", json!({"name": "nope"})).await, "not_found");
    })
    .await;
}
