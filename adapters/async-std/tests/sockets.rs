//! The futures-io adapter over real sockets, on async-std (TCP) and smol
//! (Unix): many sessions, abrupt disconnects, the session limit, shutdown.

mod common;

#[path = "../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::sync::Mutex;
use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd};
use aimx_async_std::{serve_incoming, serve_incoming_until, AsyncStdSpawner, IoClock, SessionNote, SmolSpawner};
use common::Client;
use futures_lite::io::AsyncWriteExt;
use serde_json::json;

type TestServer = Server<'static, IoClock>;

fn server(config: Config<'static>) -> &'static TestServer {
    let records: Vec<&'static dyn AnyRecord> = vec![
        Box::leak(Box::new(records::temperature())),
        Box::leak(Box::new(records::log_level())),
        Box::leak(Box::new(records::setpoint())),
    ];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    Box::leak(Box::new(Server::new(registry, config, IoClock)))
}

/// Every session end seen by any test, by session number.
static ENDS: Mutex<Vec<SessionEnd>> = Mutex::new(Vec::new());

fn note(n: SessionNote<'_>) {
    if let SessionNote::Closed { end, .. } = n {
        ENDS.lock().unwrap().push(end);
    }
}

async fn wait_until_closed(server: &TestServer) {
    for _ in 0..1000 {
        if server.stats().sessions_open == 0 {
            return;
        }
        async_io::Timer::after(Duration::from_millis(5)).await;
    }
    panic!("sessions still open: {:?}", server.stats());
}

#[test]
fn async_std_tcp_many_sessions_and_the_limit() {
    async_std::task::block_on(async {
        let server = server(Config::new().read_write().max_sessions(40));
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        async_std::task::spawn(serve_incoming(server, listener, AsyncStdSpawner, note));
        let mut open = Vec::new();
        for _ in 0..40 {
            let mut c = Client::new(async_std::net::TcpStream::connect(addr).await.unwrap());
            assert_eq!(c.hello().await["version"], "1.0");
            open.push(c);
        }
        for (i, c) in open.iter_mut().enumerate() {
            c.send(&json!({"id": i, "method": "record.get", "params": {"name": "config.log_level"}}).to_string()).await;
        }
        for c in open.iter_mut() {
            assert_eq!(c.json().await["result"], "info");
        }
        let mut over = Client::new(async_std::net::TcpStream::connect(addr).await.unwrap());
        assert_eq!(over.json().await["error"]["code"], "too_many_sessions");
        assert!(over.next().await.unwrap().is_none());
        drop(open);
        wait_until_closed(server).await;
        assert_eq!(server.stats().sessions_refused, 1);
    });
}

#[test]
fn smol_unix_abrupt_disconnects_and_shutdown() {
    smol::block_on(async {
        let server = server(Config::new());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aimx.sock");
        let listener = smol::net::unix::UnixListener::bind(&path).unwrap();
        let (stop_tx, stop_rx) = async_channel_pair();
        let accept = smol::spawn(serve_incoming_until(server, listener, SmolSpawner, note, async move {
            let _ = stop_rx.recv().await;
        }));
        // Peers that vanish mid-request.
        for _ in 0..10 {
            let mut c = Client::new(smol::net::unix::UnixStream::connect(&path).await.unwrap());
            c.hello().await;
            c.send(r#"{"id":1,"method":"record.subscribe","params":{"name":"sensor.temperature"}}"#).await;
            c.json().await;
            c.tx.write_all(br#"{"id":2,"meth"#).await.unwrap();
            drop(c);
        }
        wait_until_closed(server).await;
        assert_eq!(server.registry().find("sensor.temperature").unwrap().1.info().consumers, 0);
        // Two sessions open, then a graceful shutdown ends both.
        let mut a = Client::new(smol::net::unix::UnixStream::connect(&path).await.unwrap());
        let mut b = Client::new(smol::net::unix::UnixStream::connect(&path).await.unwrap());
        a.hello().await;
        b.hello().await;
        stop_tx.send(()).await.unwrap();
        accept.await.unwrap();
        assert_eq!(aimx_async_std::shutdown(server, Duration::from_secs(5)).await, 0);
        assert!(a.next().await.unwrap().is_none() && b.next().await.unwrap().is_none());
        let ends = ENDS.lock().unwrap().clone();
        assert_eq!(ends.iter().filter(|e| **e == SessionEnd::Shutdown).count(), 2, "{ends:?}");
    });
}

/// A one-shot channel from smol's re-exports.
fn async_channel_pair() -> (smol::channel::Sender<()>, smol::channel::Receiver<()>) {
    smol::channel::bounded(1)
}

/// "No limit" (`usize::MAX` sessions) is more reply buffers than one pool
/// can hold: sessions get buffers of their own, and the accept loop goes
/// on (it died on the first connection before).
#[test]
fn a_server_too_large_for_a_buffer_pool_still_serves() {
    async_std::task::block_on(async {
        let server = server(Config::new().max_sessions(usize::MAX));
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepting = async_std::task::spawn(serve_incoming(server, listener, AsyncStdSpawner, note));
        for round in 0..2 {
            let mut c = Client::new(async_std::net::TcpStream::connect(addr).await.unwrap());
            assert_eq!(c.hello().await["version"], "1.0", "round {round}");
            c.send(r#"{"id":1,"method":"record.get","params":{"name":"config.log_level"}}"#).await;
            assert_eq!(c.json().await["result"], "info", "round {round}");
        }
        assert!(accepting.cancel().await.is_none(), "the accept loop still ran");
    });
}
