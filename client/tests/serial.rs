//! The serial transport over a pseudo-terminal served by the demo server,
//! including closing and reopening the port mid-subscription.

mod common;

use std::time::Duration;

use aimx_client::{Client, Options};
use common::demo::{self, Policy};
use serde_json::json;

fn consumers(list: &[aimx_client::RecordInfo], name: &str) -> u64 {
    list.iter().find(|r| r.name == name).unwrap().consumer_count
}

#[tokio::test]
async fn reopening_the_port_restarts_the_session() {
    let device = common::pty::serve(demo::server(Policy::ReadWrite));
    let options = Options::default().timeout(Duration::from_secs(5));

    let client = Client::open_serial(&device.path, 115_200, options.clone()).await.unwrap();
    assert_eq!(client.welcome().server, "aimx-demo/test");
    assert_eq!(client.set("config.log_level", json!("error")).await.unwrap(), json!("error"));
    let mut sub = client.subscribe("sensor.temperature").await.unwrap();
    let first = sub.next().await.unwrap();
    sub.next().await.unwrap();
    assert_eq!(consumers(&client.list().await.unwrap(), "sensor.temperature"), 1);
    // Close the port mid-subscription: the device keeps producing into the
    // line, and another tool leaves half a request behind.
    drop(sub);
    drop(client);
    tokio::time::sleep(Duration::from_millis(300)).await;
    device.inject(br#"{"id":7,"method":"rec"#);

    let client = Client::open_serial(&device.path, 115_200, options).await.unwrap();
    assert_eq!(consumers(&client.list().await.unwrap(), "sensor.temperature"), 0, "the old subscription ended");
    assert_eq!(client.get("config.log_level").await.unwrap(), json!("error"), "the device kept its state");
    let mut sub = client.subscribe("sensor.temperature").await.unwrap();
    let ev = sub.next().await.unwrap();
    assert_eq!(ev.sequence, 1, "a new subscription counts from 1");
    assert!(aimx_client::timestamp_secs(&ev.timestamp) > aimx_client::timestamp_secs(&first.timestamp));
    client.ping().await.unwrap();
}

#[tokio::test]
async fn a_missing_port_is_an_io_error() {
    let err = Client::open_serial("/dev/aimx-no-such-port", 9600, Options::default()).await.unwrap_err();
    assert!(matches!(err, aimx_client::Error::Io(_)), "{err:?}");
}
