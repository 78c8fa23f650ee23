//! Keep-alive pings against a server with a short idle timeout: a client
//! that pings stays connected past several timeouts (v1 and v3), one that
//! does not is cut with `idle_timeout`, and the pings' answers reach no
//! caller, subscription or tap.

mod common;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server};
use aimx_client::{Client, Error, ErrorCode, Options, Wire};
use aimx_tokio::TokioClock;
use common::demo::{runtime, socket_path};
use common::records;
use serde_json::json;

const IDLE: Duration = Duration::from_millis(600);

/// A server whose sessions idle out after [`IDLE`], on a fresh Unix socket.
fn idle_server() -> std::path::PathBuf {
    let list: [&'static dyn AnyRecord; 1] = [Box::leak(Box::new(records::log_level()))];
    let list: &'static [&'static dyn AnyRecord] = Box::leak(Box::new(list));
    let config = Config::new().name("idle/test").idle_timeout_ms(IDLE.as_millis() as u64);
    let server: &'static Server<'static, TokioClock> =
        Box::leak(Box::new(Server::new(Registry::new(list), config, TokioClock)));
    let path = socket_path("idle");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    runtime().spawn(async move {
        let listener = tokio::net::UnixListener::from_std(listener).unwrap();
        let _ = aimx_tokio::serve_unix(server, listener, |_| {}).await;
    });
    path
}

fn options(wire: Wire, keep_alive: Option<Duration>) -> Options {
    Options::default().timeout(Duration::from_secs(5)).wire(wire).keep_alive(keep_alive)
}

#[tokio::test]
async fn pings_keep_an_idle_session_in_both_generations() {
    let path = idle_server();
    for wire in [Wire::V1, Wire::V3] {
        // A ping every 100 ms: a wide margin for a loaded machine.
        let client = Client::connect_unix(&path, options(wire, Some(IDLE / 6))).await.unwrap();
        let mut tap = client.tap(64);
        // Four idle timeouts without a call of ours.
        tokio::time::sleep(IDLE * 4).await;
        assert!(client.ended().is_none(), "{wire}: cut while pinging: {:?}", client.ended());
        // The pings' answers went nowhere: not to the tap, not to this call.
        assert!(tap.try_recv().is_err(), "{wire}: a keep-alive answer reached the tap");
        assert_eq!(client.get("config.log_level").await.unwrap(), json!("info"), "{wire}");
        client.ping().await.unwrap();
        let seen = tap.recv().await.unwrap();
        assert!(seen.contains("info"), "{wire}: the tap shows our own call first: {seen}");
    }
}

#[tokio::test]
async fn without_pings_the_session_is_cut_with_idle_timeout() {
    let path = idle_server();
    for wire in [Wire::V1, Wire::V3] {
        let client = Client::connect_unix(&path, options(wire, None)).await.unwrap();
        let ended = async {
            loop {
                if let Some(why) = client.ended() {
                    return why;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let why = tokio::time::timeout(Duration::from_secs(10), ended).await.expect("still connected after 10 s");
        match &why {
            Error::Rejected(e) => assert_eq!(e.code, ErrorCode::IdleTimeout, "{wire}: {why}"),
            other => panic!("{wire}: ended otherwise: {other:?}"),
        }
    }
}

#[test]
fn keep_alive_is_on_by_default_well_below_the_servers_timeout() {
    let every = Options::default().keep_alive.expect("on by default");
    assert!(every <= aimx_std_net::DEFAULT_IDLE_TIMEOUT / 4, "{every:?}");
}
