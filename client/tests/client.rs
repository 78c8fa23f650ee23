//! The client against the in-process demo server (Unix and TCP) and against
//! scripted servers for what the demo cannot do on cue.

mod common;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use aimx_client::{Client, Error, ErrorCode, Options};
use common::demo::{self, Policy};
use serde_json::{json, Value};

fn quick() -> Options {
    Options::default().timeout(Duration::from_secs(5))
}

fn code(e: Error) -> ErrorCode {
    e.code().cloned().unwrap_or_else(|| panic!("not a server error: {e:?}"))
}

#[tokio::test]
async fn every_method_over_unix() {
    let ep = demo::start(Policy::ReadWrite);
    let client = Client::connect_unix(&ep.unix, quick()).await.unwrap();
    let w = client.welcome();
    assert_eq!((w.server.as_str(), w.max_subscriptions), ("aimx-demo/test", Some(4)));
    assert_eq!(w.permissions, ["read", "subscribe", "write"]);
    assert_eq!(w.writable_records, ["config.log_level", "actuator.setpoint"]);

    let list = client.list().await.unwrap();
    let names: Vec<&str> = list.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["sensor.temperature", "config.log_level", "actuator.setpoint"]);
    assert_eq!(
        (list[0].buffer_type.as_str(), list[0].buffer_capacity, list[0].writable),
        ("spmc_ring", Some(16), false)
    );
    assert_eq!(list[2].last_update, None, "the mailbox has no value yet");

    let celsius = client.get("sensor.temperature").await.unwrap()["celsius"].as_f64().unwrap();
    assert!((19.0..=23.0).contains(&celsius), "{celsius}");
    assert_eq!(client.get("config.log_level").await.unwrap(), json!("info"));
    assert_eq!(client.set("config.log_level", json!("debug")).await.unwrap(), json!("debug"));
    assert_eq!(client.get("config.log_level").await.unwrap(), json!("debug"));
    let stored = client.set("actuator.setpoint", json!({"target_celsius": 22.5})).await.unwrap();
    assert_eq!(stored, json!({"target_celsius": 22.5}));

    assert_eq!(code(client.get("nope").await.unwrap_err()), ErrorCode::NotFound);
    assert_eq!(code(client.set("config.log_level", json!("loud")).await.unwrap_err()), ErrorCode::ValidationError);
    assert_eq!(
        code(client.set("sensor.temperature", json!({"celsius": 1})).await.unwrap_err()),
        ErrorCode::PermissionDenied
    );
    assert_eq!(code(client.set("nope", json!(1)).await.unwrap_err()), ErrorCode::NotFound);
    assert_eq!(code(client.call("no.such.method", json!({})).await.unwrap_err()), ErrorCode::MethodNotFound);
    assert_eq!(code(client.call("record.get", json!({})).await.unwrap_err()), ErrorCode::InvalidParams);
    assert_eq!(code(client.subscribe("nope").await.unwrap_err()), ErrorCode::NotFound);
    let err = client.get("nope").await.unwrap_err();
    assert_eq!(err.to_string(), "not_found: record 'nope' not found");

    assert!(client.ping().await.unwrap() < Duration::from_secs(1));
    let stats = client.stats().await.unwrap();
    assert!(stats["requests"].as_u64().unwrap() >= 10, "{stats}");
}

#[tokio::test]
async fn no_value_before_the_first_write() {
    let ep = demo::start(Policy::ReadWrite);
    let client = Client::connect_tcp(&ep.tcp, quick()).await.unwrap();
    assert_eq!(code(client.get("actuator.setpoint").await.unwrap_err()), ErrorCode::NoValue);
}

#[tokio::test]
async fn events_reach_their_subscription_over_tcp() {
    let ep = demo::start(Policy::ReadWrite);
    let client = Client::connect_tcp(&ep.tcp, quick()).await.unwrap();
    let mut temp = client.subscribe("sensor.temperature").await.unwrap();
    let mut level = client.subscribe("config.log_level").await.unwrap();
    let mut again = client.subscribe("sensor.temperature").await.unwrap();
    assert_ne!(temp.id(), again.id(), "each subscription has its own id");
    // The current log level comes first (send_initial defaults to true).
    let first = level.next().await.unwrap();
    assert_eq!((first.sequence, first.data.clone()), (1, json!("info")));
    client.set("config.log_level", json!("warn")).await.unwrap();
    assert_eq!(level.next().await.unwrap().data, json!("warn"));

    let mut last = 0;
    for _ in 0..5 {
        let ev = temp.next().await.unwrap();
        assert_eq!(ev.subscription_id, temp.id());
        assert_eq!(ev.sequence, last + 1 + ev.dropped, "a gap is always matched by dropped");
        assert!(ev.data["celsius"].is_number());
        assert!(aimx_client::timestamp_secs(&ev.timestamp).unwrap() > 1e9, "wall clock");
        last = ev.sequence;
    }
    assert_eq!(again.next().await.unwrap().subscription_id, again.id());

    let id = temp.id().to_owned();
    client.unsubscribe(temp).await.unwrap();
    let err = client.call("record.unsubscribe", json!({ "subscription_id": id })).await.unwrap_err();
    assert_eq!(code(err), ErrorCode::NotFound);
    // The limit is 4 per session: 2 live, so 2 more fit and the next fails.
    client.subscribe("sensor.temperature").await.unwrap();
    client.subscribe("sensor.temperature").await.unwrap();
    let err = client.subscribe("sensor.temperature").await.unwrap_err();
    assert_eq!(code(err), ErrorCode::TooManySubscriptions);
}

#[tokio::test]
async fn a_slow_caller_is_told_what_it_lost() {
    let ep = demo::start(Policy::ReadWrite);
    let mut options = quick();
    options.event_queue = 1;
    let client = Client::connect_unix(&ep.unix, options).await.unwrap();
    let mut sub = client.subscribe_with("sensor.temperature", json!({"send_initial": false})).await.unwrap();
    // 50 Hz for 300 ms: ~15 values, with room for one in our queue.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = sub.next().await.unwrap();
    let second = sub.next().await.unwrap();
    assert!(second.dropped >= 5, "{second:?}");
    assert_eq!(second.sequence, first.sequence + second.dropped + 1, "nothing lost silently");
}

#[tokio::test]
async fn handshake_refusals_are_typed() {
    let ep = demo::start(Policy::Token("s3cret"));
    let err = Client::connect_unix(&ep.unix, quick()).await.unwrap_err();
    assert!(matches!(&err, Error::Rejected(_)), "{err:?}");
    assert_eq!(code(err), ErrorCode::AuthRequired);
    let err = Client::connect_unix(&ep.unix, quick().token("wrong")).await.unwrap_err();
    assert_eq!(code(err), ErrorCode::AuthFailed);
    let client = Client::connect_tcp(&ep.tcp, quick().token("s3cret")).await.unwrap();
    assert!(client.welcome().authenticated);
    client.ping().await.unwrap();
}

#[tokio::test]
async fn read_only_servers_refuse_writes() {
    let ep = demo::start(Policy::ReadOnly);
    let client = Client::connect_unix(&ep.unix, quick()).await.unwrap();
    assert_eq!(client.welcome().permissions, ["read", "subscribe"]);
    assert!(client.welcome().writable_records.is_empty());
    let err = client.set("config.log_level", json!("debug")).await.unwrap_err();
    assert_eq!(code(err), ErrorCode::PermissionDenied);
}

#[tokio::test]
async fn connecting_nowhere_is_an_io_error() {
    let missing = demo::socket_path("missing");
    let err = Client::connect_unix(&missing, quick()).await.unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let silent = common::fake::serve(false, |_, _| {});
    let started = Instant::now();
    let err = Client::connect_unix(&silent, quick().timeout(Duration::from_millis(200))).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let deaf = common::fake::serve(true, |_, _| {});
    let client = Client::connect_unix(&deaf, quick().timeout(Duration::from_millis(200))).await.unwrap();
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_peer_that_is_not_aimx_is_named_with_what_it_said() {
    let http = common::fake::http();
    let err = Client::connect_tcp(&http, quick()).await.unwrap_err();
    assert!(matches!(err, Error::NotAimx { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("{http} answered `HTTP/1.0 400 Bad Request`, which is not AimX"));

    let mute = common::fake::mute_tcp();
    let err = Client::connect_tcp(&mute, quick().timeout(Duration::from_millis(200))).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("timed out after 200ms waiting for the welcome from {mute} (it sent nothing)"));
}

#[tokio::test]
async fn lines_sent_as_typed_and_every_line_on_the_tap() {
    let ep = demo::start(Policy::ReadWrite);
    let client = Client::connect_unix(&ep.unix, quick()).await.unwrap();
    let mut tap = client.tap(16);
    let id = client.next_id();
    client
        .send_line(&format!(r#"{{"id":{id},"method":"record.get","params":{{"name":"config.log_level"}}}}"#))
        .await
        .unwrap();
    assert_eq!(tap.recv().await.unwrap(), format!(r#"{{"id":{id},"result":"info"}}"#));
    client.send_line("not json\n").await.unwrap();
    let error: Value = serde_json::from_str(&tap.recv().await.unwrap()).unwrap();
    assert_eq!(error["error"]["code"], "parse_error", "{error}");
    // Typed calls go on working, and their replies are on the tap too.
    client.set("config.log_level", json!("debug")).await.unwrap();
    assert!(tap.recv().await.unwrap().contains(r#""value":"debug""#));
    assert_ne!(client.next_id(), id, "ids are never handed out twice");
}

#[tokio::test]
async fn on_a_serial_link_noise_before_the_welcome_is_skipped_or_named() {
    use tokio::io::AsyncWriteExt;
    let mut options = quick().timeout(Duration::from_millis(300));
    options.resync = true; // as the serial transport sets it
                           // Noise, then a welcome: the noise is skipped.
    let (ours, mut device) = tokio::io::duplex(4096);
    let (rx, tx) = tokio::io::split(ours);
    device.write_all(format!("\u{0}garbage\r\n{}\n", common::fake::WELCOME).as_bytes()).await.unwrap();
    let client = Client::handshake(rx, tx, options.clone()).await.unwrap();
    assert_eq!(client.welcome().server, "fake/0");
    // Noise and no welcome: not a timeout alone, but what was seen.
    let (ours, mut device) = tokio::io::duplex(4096);
    let (rx, tx) = tokio::io::split(ours);
    device.write_all(b"U-Boot 2024.01 (Jan 01 2024)\r\nlogin: ").await.unwrap();
    let err = Client::handshake(rx, tx, options).await.unwrap_err();
    assert!(matches!(err, Error::NotAimx { .. }), "{err:?}");
    assert_eq!(err.to_string(), "the server answered `U-Boot 2024.01 (Jan 01 2024)`, which is not AimX");
    drop(device);
}

/// Replies out of order, noise, an `id:0` error, events with drops, and then
/// the server hangs up.
fn tricky(request: &Value, out: &mut UnixStream) {
    let id = request["id"].as_u64().unwrap();
    let lines = match request["method"].as_str().unwrap() {
        "record.subscribe" => {
            let sub = format!("sub-{id}");
            vec![
                json!({"id": id, "result": {"subscription_id": sub, "queue_size": 4}}).to_string(),
                "not json at all".to_owned(),
                json!({"event": {"subscription_id": sub, "sequence": 1, "data": 1, "timestamp": "1.0"}}).to_string(),
                json!({"event": {"subscription_id": "sub-99", "sequence": 1, "data": 0, "timestamp": "1.0"}})
                    .to_string(),
                json!({"event": {"subscription_id": sub, "sequence": 6, "data": 6, "timestamp": "2.0", "dropped": 4}})
                    .to_string(),
            ]
        }
        "too.long" => {
            vec![r#"{"id":0,"error":{"code":"line_too_long","message":"line longer than 1023 bytes"}}"#.into()]
        }
        "hang.up" => {
            let _ = out.shutdown(std::net::Shutdown::Both);
            vec![]
        }
        _ => vec![json!({"id": id, "result": {"pong": true}}).to_string()],
    };
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

#[tokio::test]
async fn replies_events_and_the_end_of_a_connection() {
    let path = common::fake::serve(true, tricky);
    let client = Client::connect_unix(&path, quick()).await.unwrap();
    let mut sub = client.subscribe("x").await.unwrap();
    let ev = sub.next().await.unwrap();
    assert_eq!((ev.sequence, ev.dropped), (1, 0));
    let ev = sub.next().await.unwrap();
    assert_eq!((ev.sequence, ev.dropped, ev.data.clone()), (6, 4, json!(6)), "the server's dropped reaches the caller");

    let err = client.call("too.long", json!({})).await.unwrap_err();
    assert_eq!(code(err), ErrorCode::LineTooLong, "an id:0 error fails the oldest request");
    client.ping().await.unwrap();

    let _ = client.call("hang.up", json!({})).await;
    assert!(sub.next().await.is_none(), "the subscription ends with the connection");
    assert!(matches!(client.ping().await.unwrap_err(), Error::Closed(_)));
    assert!(matches!(client.ended(), Some(Error::Closed(_))));
}
