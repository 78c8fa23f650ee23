//! The futures-io accept loop against crowding peers, on async-std TCP:
//! refusals arrive intact, one address cannot take every slot, idle sessions end.

#[path = "../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server};
use aimx_async_std::{serve_incoming, serve_incoming_with, AsyncStdSpawner, IoClock, PeerLimits, ServeOptions};
use async_std::net::{TcpListener, TcpStream};
use futures_lite::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use futures_lite::StreamExt;
use serde_json::Value;

fn server(config: Config<'static>) -> &'static Server<'static, IoClock> {
    let records: Vec<&'static dyn AnyRecord> = vec![Box::leak(Box::new(records::temperature()))];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    Box::leak(Box::new(Server::new(registry, config, IoClock)))
}

/// Sends a hello (and more) before reading, then reads every line until the
/// end of the stream; `Err` when the stream is reset instead.
async fn talk_then_read(addr: std::net::SocketAddr, pause: Duration) -> Result<Vec<Value>, String> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"{\"version\":\"1.0\"}\n{\"id\":1,\"method\":\"record.list\"}\n").await.unwrap();
    async_std::task::sleep(pause).await;
    let mut lines = BufReader::new(stream).lines();
    let mut got = Vec::new();
    while let Some(line) = lines.next().await {
        let line = line.map_err(|e| format!("after {got:?}: {e}"))?;
        got.push(serde_json::from_str(&line).unwrap());
        if got.len() == 2 {
            break; // a welcome and a reply: a served session, leave it
        }
    }
    Ok(got)
}

/// A session that said hello and stays open.
async fn greeted(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"{\"version\":\"1.0\"}\n").await.unwrap();
    let mut lines = BufReader::new(stream.clone()).lines();
    let welcome: Value = serde_json::from_str(&lines.next().await.unwrap().unwrap()).unwrap();
    assert_eq!(welcome["version"], "1.0");
    stream
}

#[test]
fn over_the_cap_the_refusal_arrives_intact() {
    async_std::task::block_on(over_the_cap())
}

#[test]
fn one_address_is_capped() {
    async_std::task::block_on(capped())
}

async fn over_the_cap() {
    let server = server(Config::new().max_sessions(1));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    async_std::task::spawn(serve_incoming(server, listener, AsyncStdSpawner, |_| {}));
    let _holder = greeted(addr).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        tasks.push(async_std::task::spawn(talk_then_read(addr, Duration::from_millis(100))));
    }
    for task in tasks {
        let got = task.await.expect("reset instead of a clean close");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["error"]["code"], "too_many_sessions");
    }
}

async fn capped() {
    let server = server(Config::new().max_sessions(8));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peers = PeerLimits { max_per_peer: 1, exempt_loopback: false, ..PeerLimits::default() };
    let options = ServeOptions { peers, ..ServeOptions::default() };
    async_std::task::spawn(serve_incoming_with(
        server,
        listener,
        AsyncStdSpawner,
        options,
        |_| {},
        std::future::pending(),
    ));
    let _first = greeted(addr).await;
    let second = talk_then_read(addr, Duration::ZERO).await.unwrap();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(second[0]["error"]["code"], "too_many_sessions");
}

#[test]
fn an_idle_tcp_session_is_told_and_closed() {
    assert_eq!(ServeOptions::default().idle_timeout, Some(Duration::from_secs(300)));
    async_std::task::block_on(idle_cut())
}

/// With a 300 ms idle timeout, a greeted TCP session that sends nothing
/// more gets `idle_timeout` and then the end of the stream.
async fn idle_cut() {
    let server = server(Config::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions { idle_timeout: Some(Duration::from_millis(300)), ..ServeOptions::default() };
    async_std::task::spawn(serve_incoming_with(
        server,
        listener,
        AsyncStdSpawner,
        options,
        |_| {},
        std::future::pending(),
    ));
    let stream = greeted(addr).await;
    let mut lines = BufReader::new(stream).lines();
    let wait = async {
        let mut got = Vec::new();
        while let Some(Ok(line)) = lines.next().await {
            got.push(serde_json::from_str::<Value>(&line).unwrap());
        }
        got
    };
    let got = async_std::future::timeout(Duration::from_secs(10), wait).await.expect("still open after 10 s");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["error"]["code"], "idle_timeout");
    assert_eq!(server.stats().sessions_idle, 1);
}
