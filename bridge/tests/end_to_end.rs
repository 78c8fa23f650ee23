//! Three devices (Unix, TCP, a pseudo-terminal as the serial port) behind one
//! bridge and a real mosquitto: values, retained state, writes, and recovery
//! from a device restart, a broker outage and a broker crash.
//!
//! The bridge reaches the broker through a relay the test can cut, so a
//! watcher connected to the broker directly sees everything the broker got
//! across an outage: every ring event is there or counted as dropped. A real
//! broker crash (SIGKILL) loses what the broker itself held; there the test
//! checks that the bridge comes back and restores the retained state.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use aimx_bridge::{Bridge, Config};
use common::device::Device;
use common::mosquitto::Mosquitto;
use common::proxy::Proxy;
use common::watcher::{Msg, Watcher};
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use rumqttc::v5::mqttbytes::QoS;
use serde_json::json;

const BACKOFF_MAX_MS: u64 = 400;
/// How long a recovery may take: the backoff cap, a connection, a margin
/// for a loaded CI machine.
const RECOVERY: Duration = Duration::from_millis(BACKOFF_MAX_MS + 2600);

fn config(broker_port: u16, unix: &Device, tcp: &Device, serial: &str) -> Config {
    let text = format!(
        r#"
        [broker]
        url = "mqtt://127.0.0.1:{broker_port}"
        keep_alive_secs = 5
        client_id_prefix = "bridge-{pid}"
        [bridge]
        backoff_initial_ms = 50
        backoff_max_ms = {BACKOFF_MAX_MS}
        ping_interval_ms = 200
        stats_interval_ms = 300
        device_timeout_ms = 1000
        console = false
        [[device]]
        name = "unix"
        connect = "{unix}"
        link_to = ["sensor.*", "config.log_level", "actuator.setpoint"]
        link_from = ["actuator.setpoint", "config.log_level", "sensor.temperature"]
        [[device]]
        name = "tcp"
        connect = "{tcp}"
        link_to = ["sensor.*"]
        link_from = []
        [[device]]
        name = "serial"
        connect = "serial:{serial}@115200"
        link_to = ["*"]
        link_from = ["config.log_level"]
        "#,
        pid = std::process::id(),
        unix = unix.connect(),
        tcp = tcp.connect(),
    );
    Config::parse(&text).unwrap()
}

/// Publishes `payload` on `topic` with correlation data.
async fn set(w: &Watcher, topic: &str, payload: &str, correlation: &str) {
    let props =
        PublishProperties { correlation_data: Some(correlation.as_bytes().to_vec().into()), ..Default::default() };
    w.client.publish_with_properties(topic, QoS::AtLeastOnce, false, payload.to_owned(), props).await.unwrap();
}

async fn result(w: &mut Watcher, topic: &str, correlation: &str) -> serde_json::Value {
    let corr = correlation.as_bytes().to_vec();
    let msg = w.expect(RECOVERY, topic, |m| m.topic == topic && m.correlation.as_ref() == Some(&corr)).await;
    msg.json()
}

/// Every ring event of `topic` in `seen`, per session, in order: each gap in
/// the sequence is exactly what its `dropped` says. Redeliveries (at least
/// once) repeat a sequence number already seen. Returns (events, dropped).
fn check_ring(seen: &[Msg], topic: &str) -> (u64, u64) {
    let mut last: HashMap<u64, u64> = HashMap::new();
    let (mut events, mut dropped, mut session) = (0, 0, 0);
    for m in seen.iter().filter(|m| m.topic == topic) {
        assert!(!m.retain, "ring values are not retained: {m:?}");
        let (s, seq, d) = (m.num("session"), m.num("sequence"), m.num("dropped"));
        assert!(s >= session, "sessions go forward: {m:?}");
        session = s;
        let prev = last.get(&s).copied().unwrap_or(0);
        if seq <= prev {
            continue;
        }
        if seq != prev + 1 + d {
            let around: Vec<String> = seen
                .iter()
                .filter(|m| m.topic == topic || m.topic.contains('$'))
                .map(|m| {
                    format!(
                        "{} s{:?} #{:?} d{:?} {}",
                        m.topic,
                        m.props.get("session"),
                        m.props.get("sequence"),
                        m.props.get("dropped"),
                        m.payload.chars().take(60).collect::<String>()
                    )
                })
                .collect();
            panic!("{topic}: after #{prev} came #{seq} saying {d} dropped\n{}", around.join("\n"));
        }
        last.insert(s, seq);
        events += 1;
        dropped += d;
    }
    (events, dropped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_through_a_real_broker_both_ways_and_back_from_failures() {
    let mut broker = Mosquitto::start();
    let mut relay = Proxy::start(broker.port);
    let mut unix = Device::unix("e2e", 50);
    let tcp = Device::tcp(50);
    let serial = common::pty::serve(common::demo::server(common::demo::Policy::ReadWrite));

    let mut w = Watcher::start(broker.port, &format!("watcher-{}", std::process::id()), "aimx/#");
    // Subscribed before the bridge starts: every event must be seen.
    set(&w, "probe", "1", "p").await;
    let _ = w.client.subscribe("probe", QoS::AtLeastOnce).await;
    loop {
        set(&w, "probe", "1", "p").await;
        if tokio::time::timeout(Duration::from_millis(200), w.expect(RECOVERY, "probe", |m| m.topic == "probe"))
            .await
            .is_ok()
        {
            break;
        }
    }

    let bridge = Bridge::start(config(relay.port, &unix, &tcp, &serial.path)).unwrap();
    for dev in ["unix", "tcp", "serial"] {
        let status = format!("aimx/{dev}/$status");
        w.seen_or_expect(0, RECOVERY, &status, |m| m.topic == status && m.payload == "online").await;
        let temp = format!("aimx/{dev}/sensor.temperature");
        let first = w.seen_or_expect(0, RECOVERY, &temp, |m| m.topic == temp).await;
        // Events before the bridge's broker connection was up are counted.
        assert_eq!((first.num("session"), first.num("sequence")), (1, 1 + first.num("dropped")), "{first:?}");
        assert!(first.json()["celsius"].is_number(), "{first:?}");
    }

    // Writes: through link_from to the device, the outcome with its correlation data.
    set(&w, "aimx/unix/actuator.setpoint/set", r#"{"target_celsius": 23.5}"#, "c1").await;
    let ok = result(&mut w, "aimx/unix/actuator.setpoint/set/result", "c1").await;
    assert_eq!(ok, json!({"ok": true, "value": {"target_celsius": 23.5}}));
    let mirrored =
        w.seen_or_expect(0, RECOVERY, "the new setpoint mirrored", |m| m.topic == "aimx/unix/actuator.setpoint").await;
    assert_eq!(mirrored.json(), json!({"target_celsius": 23.5}));
    set(&w, "aimx/unix/config.log_level/set", r#""loud""#, "c2").await;
    let bad = result(&mut w, "aimx/unix/config.log_level/set/result", "c2").await;
    assert_eq!(bad["error"]["code"], "validation_error", "{bad}");
    set(&w, "aimx/unix/sensor.temperature/set", r#"{"celsius": 1}"#, "c3").await;
    let denied = result(&mut w, "aimx/unix/sensor.temperature/set/result", "c3").await;
    assert_eq!(denied["error"]["code"], "permission_denied", "linked but not writable on the device: {denied}");
    set(&w, "aimx/tcp/config.log_level/set", r#""debug""#, "c4").await;
    let unlinked = result(&mut w, "aimx/tcp/config.log_level/set/result", "c4").await;
    assert_eq!(unlinked["error"]["code"], "permission_denied", "not under link_from: {unlinked}");
    set(&w, "aimx/serial/config.log_level/set", r#""warn""#, "c5").await;
    assert_eq!(
        result(&mut w, "aimx/serial/config.log_level/set/result", "c5").await,
        json!({"ok": true, "value": "warn"})
    );
    set(&w, "aimx/unix/config.log_level/set", r#""debug""#, "c6").await;
    assert_eq!(result(&mut w, "aimx/unix/config.log_level/set/result", "c6").await["ok"], true);

    // A late subscriber gets the current truth from retained messages only.
    let mut late = Watcher::start(broker.port, "late", "aimx/unix/#");
    late.expect(RECOVERY, "retained log level", |m| {
        m.topic == "aimx/unix/config.log_level" && m.payload == r#""debug""#
    })
    .await;
    late.collect(Duration::from_millis(200)).await;
    let retained: Vec<&str> = late.seen.iter().filter(|m| m.retain).map(|m| m.topic.as_str()).collect();
    for topic in
        ["aimx/unix/$status", "aimx/unix/$session", "aimx/unix/config.log_level", "aimx/unix/actuator.setpoint"]
    {
        assert!(retained.contains(&topic), "{topic} retained: {retained:?}");
    }
    assert!(!retained.contains(&"aimx/unix/sensor.temperature"), "ring values are not retained");

    // The Unix device dies and comes back: offline, then a new session marked.
    unix.kill();
    w.expect(RECOVERY, "unix offline", |m| m.topic == "aimx/unix/$status" && m.payload == "offline").await;
    set(&w, "aimx/unix/actuator.setpoint/set", r#"{"target_celsius": 20}"#, "c7").await;
    let away = result(&mut w, "aimx/unix/actuator.setpoint/set/result", "c7").await;
    assert_eq!(away["error"]["code"], "unavailable", "{away}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    unix.restart();
    let marker =
        w.expect(RECOVERY, "unix new session", |m| m.topic == "aimx/unix/$session" && m.json()["session"] == 2).await;
    assert_eq!(marker.json()["gap_possible"], true);
    w.expect(RECOVERY, "unix online", |m| m.topic == "aimx/unix/$status" && m.payload == "online").await;
    w.expect(RECOVERY, "unix events again", |m| m.topic == "aimx/unix/sensor.temperature" && m.num("session") == 2)
        .await;

    // The broker goes away for the bridge and comes back: device sessions
    // survive, events made meanwhile are counted as dropped, the bridge
    // reconnects by itself.
    let mark = w.seen.len();
    relay.cut();
    tokio::time::sleep(Duration::from_millis(800)).await;
    relay.resume();
    for dev in ["tcp", "serial", "unix"] {
        let stats = format!("aimx/{dev}/$stats");
        let after =
            w.seen_or_expect(mark, RECOVERY, &stats, |m| m.topic == stats && m.json()["broker_reconnects"] == 1).await;
        assert_eq!(after.json()["status"], "online", "{dev}: {}", after.payload);
    }
    let tcp_after = |m: &Msg| m.topic == "aimx/tcp/sensor.temperature" && m.num("dropped") > 0;
    w.seen_or_expect(mark, RECOVERY, "tcp events after the outage", tcp_after).await;
    w.collect(Duration::from_millis(300)).await;

    // Nothing silently lost: every gap is accounted for, per device and session.
    let (tcp_events, tcp_dropped) = check_ring(&w.seen, "aimx/tcp/sensor.temperature");
    assert!(
        tcp_dropped > 0 && tcp_events > 20,
        "the outage dropped and counted ({tcp_events} events, {tcp_dropped} dropped)"
    );
    assert!(
        w.seen.iter().filter(|m| m.topic == "aimx/tcp/sensor.temperature").all(|m| m.num("session") == 1),
        "tcp session kept"
    );
    check_ring(&w.seen, "aimx/unix/sensor.temperature");
    check_ring(&w.seen, "aimx/serial/sensor.temperature");
    let stats = bridge.device("tcp").unwrap().report(&mut Default::default()).0;
    let counted = stats["bridge_dropped"].as_u64().unwrap() + stats["device_dropped"].as_u64().unwrap();
    assert_eq!(counted, tcp_dropped, "$stats counts what the events said: {stats}");
    assert_eq!((stats["device_reconnects"].as_u64(), stats["broker_reconnects"].as_u64()), (Some(0), Some(1)));
    let unix_stats = bridge.device("unix").unwrap().report(&mut Default::default()).0;
    assert_eq!(unix_stats["device_reconnects"].as_u64(), Some(1), "{unix_stats}");

    // The broker crashes and restarts empty: the bridge reconnects and puts
    // the current truth back (retained), and events flow again.
    let broker = tokio::task::spawn_blocking(move || {
        broker.kill();
        std::thread::sleep(Duration::from_millis(300));
        broker.restart();
        broker
    })
    .await
    .unwrap();
    // Subscribed after the bridge is back, so retained messages are what it gets.
    let back = std::time::Instant::now();
    while !bridge.devices.iter().all(|d| d.health.broker_reconnects.load(Relaxed) == 2 && d.outbox.is_empty()) {
        assert!(back.elapsed() < RECOVERY, "the bridge did not reconnect to the restarted broker");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut fresh = Watcher::start(broker.port, "fresh", "aimx/#");
    for dev in ["unix", "tcp", "serial"] {
        let status = format!("aimx/{dev}/$status");
        fresh.seen_or_expect(0, RECOVERY, &status, |m| m.topic == status && m.payload == "online" && m.retain).await;
    }
    // The Unix device rebooted since the write: its level is "info" again.
    let level = |m: &Msg| m.topic == "aimx/unix/config.log_level" && m.payload == r#""info""# && m.retain;
    fresh.seen_or_expect(0, RECOVERY, "the log level retained again", level).await;
    let again = |m: &Msg| m.topic == "aimx/tcp/sensor.temperature" && m.num("session") == 1;
    fresh.seen_or_expect(0, RECOVERY, "tcp events after the crash, same device session", again).await;

    bridge.shutdown().await;
    let offline = |m: &Msg| m.topic == "aimx/tcp/$status" && m.payload == "offline";
    fresh.seen_or_expect(0, RECOVERY, "offline on shutdown", offline).await;
    drop(broker);
}
