//! The client speaking AimX 3.0 to the in-process demo server: lines over a
//! Unix socket, length-prefixed frames over TCP, the same calls as v1.

mod common;

use std::time::Duration;

use aimx_client::{Client, ErrorCode, Options, Wire};
use common::demo::{self, Policy};
use serde_json::json;

fn v3() -> Options {
    Options::default().timeout(Duration::from_secs(5)).wire(Wire::V3)
}

async fn every_call(client: Client) {
    assert_eq!(client.welcome().version, "3.0");
    let names: Vec<String> = client.list().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["sensor.temperature", "config.log_level", "actuator.setpoint"]);
    assert_eq!(client.get("config.log_level").await.unwrap(), json!("info"));
    assert_eq!(client.set("config.log_level", json!("warn")).await.unwrap(), json!("warn"));
    let refused = client.set("sensor.temperature", json!({"celsius": 1})).await.unwrap_err();
    assert_eq!(refused.code(), Some(&ErrorCode::PermissionDenied), "the finer code rides along: {refused}");
    assert_eq!(client.subscribe("nope").await.unwrap_err().code(), Some(&ErrorCode::NotFound));

    let mut exact = client.subscribe("config.log_level").await.unwrap();
    let first = exact.next().await.unwrap();
    assert_eq!((first.sequence, first.data.clone(), first.topic.clone()), (1, json!("warn"), None));
    client.set("config.log_level", json!("error")).await.unwrap();
    let second = exact.next().await.unwrap();
    assert_eq!((second.sequence, second.data), (2, json!("error")));
    client.unsubscribe(exact).await.unwrap();

    let mut pattern = client.subscribe("config.#").await.unwrap();
    let snap = pattern.next().await.unwrap();
    assert_eq!((snap.topic.as_deref(), snap.data), (Some("config.log_level"), json!("error")));
    assert!(client.ping().await.unwrap() < Duration::from_secs(1));
}

#[tokio::test]
async fn every_call_over_unix_lines() {
    let ep = demo::start(Policy::ReadWrite);
    every_call(Client::connect_unix(&ep.unix, v3()).await.unwrap()).await;
}

#[tokio::test]
async fn every_call_over_tcp_length_prefixed() {
    let ep = demo::start(Policy::ReadWrite);
    every_call(Client::connect_tcp(&ep.tcp, v3()).await.unwrap()).await;
}
