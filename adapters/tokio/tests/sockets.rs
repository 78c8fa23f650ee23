//! The tokio adapter over real sockets: TCP on 127.0.0.1 and Unix in a temp
//! dir; many sessions, abrupt disconnects, the session limit, shutdown.

#[path = "../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd};
use aimx_tokio::{SessionNote, TokioClock};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;

type TestServer = Server<'static, TokioClock>;

/// A fresh server over fresh demo records (leaked: tests are short-lived).
fn server(config: Config<'static>) -> &'static TestServer {
    let records: Vec<&'static dyn AnyRecord> = vec![
        Box::leak(Box::new(records::temperature())),
        Box::leak(Box::new(records::log_level())),
        Box::leak(Box::new(records::setpoint())),
    ];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    Box::leak(Box::new(Server::new(registry, config, TokioClock)))
}

/// Session ends, forwarded to the test.
fn notes() -> (impl Fn(SessionNote<'_>) + Send + Sync + 'static, mpsc::UnboundedReceiver<SessionEnd>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let forward = move |note: SessionNote<'_>| {
        if let SessionNote::Closed { end, .. } = note {
            let _ = tx.send(end);
        }
    };
    (forward, rx)
}

struct Client<S> {
    lines: tokio::io::Lines<BufReader<tokio::io::ReadHalf<S>>>,
    tx: tokio::io::WriteHalf<S>,
}

impl<S: AsyncRead + AsyncWrite> Client<S> {
    fn new(stream: S) -> Self {
        let (rx, tx) = tokio::io::split(stream);
        Client { lines: BufReader::new(rx).lines(), tx }
    }

    async fn send(&mut self, line: &str) {
        self.tx.write_all(format!("{line}\n").as_bytes()).await.unwrap();
    }

    async fn json(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line()).await.unwrap().unwrap()?;
        Some(serde_json::from_str(&line).unwrap())
    }

    async fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"id": id, "method": method, "params": params}).to_string()).await;
        loop {
            let v = self.json().await.expect("closed");
            if v["id"] == id {
                return v;
            }
        }
    }
}

async fn wait_until_closed(server: &TestServer) {
    for _ in 0..1000 {
        if server.stats().sessions_open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("sessions still open: {:?}", server.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tcp_sessions_at_once() {
    let server = server(Config::new().read_write());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, _rx) = notes();
    tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..50u64 {
        clients.spawn(async move {
            let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
            c.send(r#"{"version":"1.0"}"#).await;
            assert_eq!(c.json().await.unwrap()["version"], "1.0");
            let level = ["info", "debug", "warn", "error"][i as usize % 4];
            let set = c.call(1, "record.set", json!({"name": "config.log_level", "value": level})).await;
            assert_eq!(set["result"]["status"], "success");
            let list = c.call(2, "record.list", json!({})).await;
            assert_eq!(list["result"].as_array().unwrap().len(), 3);
        });
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
    wait_until_closed(server).await;
    assert_eq!(server.stats().sessions_total, 50);
}

#[tokio::test]
async fn abrupt_disconnects_free_sessions_and_subscriptions() {
    let server = server(Config::new());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aimx.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (notes, mut rx) = notes();
    tokio::spawn(aimx_tokio::serve_unix(server, listener, notes));
    for _ in 0..10 {
        let mut c = Client::new(UnixStream::connect(&path).await.unwrap());
        c.send(r#"{"version":"1.0"}"#).await;
        c.json().await.unwrap();
        c.call(1, "record.subscribe", json!({"name": "sensor.temperature"})).await;
        // Half a request, then the peer vanishes.
        c.tx.write_all(br#"{"id":2,"method":"rec"#).await.unwrap();
        drop(c);
    }
    wait_until_closed(server).await;
    let temperature = server.registry().find("sensor.temperature").unwrap().1;
    assert_eq!(temperature.info().consumers, 0);
    let ends: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(ends, [SessionEnd::PeerClosed; 10]);
}

#[tokio::test]
async fn the_session_over_the_limit_is_refused() {
    let server = server(Config::new().max_sessions(3));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, _rx) = notes();
    tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
        c.send(r#"{"version":"1.0"}"#).await;
        c.json().await.unwrap();
        open.push(c);
    }
    let mut over = Client::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(over.json().await.unwrap()["error"]["code"], "too_many_sessions");
    assert!(over.json().await.is_none(), "closed after the refusal");
    drop(open.pop());
    // A freed place is taken again.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut again = Client::new(TcpStream::connect(addr).await.unwrap());
    again.send(r#"{"version":"1.0"}"#).await;
    assert_eq!(again.json().await.unwrap()["version"], "1.0");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_closes_sessions() {
    let server = server(Config::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, mut rx) = notes();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let accept = tokio::spawn(aimx_tokio::serve_tcp_until(server, listener, notes, async {
        let _ = stop_rx.await;
    }));
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
        c.send(r#"{"version":"1.0"}"#).await;
        c.json().await.unwrap();
        c.call(1, "record.subscribe", json!({"name": "config.log_level"})).await;
        clients.push(c);
    }
    stop_tx.send(()).unwrap();
    accept.await.unwrap().unwrap();
    assert_eq!(aimx_tokio::shutdown(server, Duration::from_secs(5)).await, 0);
    for c in &mut clients {
        // Whatever was pending arrives whole, then the stream ends.
        while let Some(v) = c.json().await {
            assert!(v.get("event").is_some() || v.get("id").is_some(), "{v}");
        }
    }
    assert!(TcpStream::connect(addr).await.is_err(), "no longer accepting");
    let ends: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(ends, [SessionEnd::Shutdown; 3]);
}

#[tokio::test]
async fn serve_split_over_tcp_halves() {
    use embedded_io_adapters::tokio_1::FromTokio;
    let server = server(Config::new().read_write());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let session = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (rx, tx) = stream.into_split();
        server.serve_split(FromTokio::new(rx), FromTokio::new(tx)).await
    });
    let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
    c.send(r#"{"version":"1.0"}"#).await;
    assert_eq!(c.json().await.unwrap()["version"], "1.0");
    let sub = c.call(1, "record.subscribe", json!({"name": "config.log_level"})).await;
    assert_eq!(sub["result"]["subscription_id"], "sub-1");
    assert_eq!(c.json().await.unwrap()["event"]["data"], "info");
    let set = c.call(2, "record.set", json!({"name": "config.log_level", "value": "warn"})).await;
    assert_eq!(set["result"]["value"], "warn");
    drop(c);
    assert_eq!(session.await.unwrap(), SessionEnd::PeerClosed);
}

#[tokio::test]
async fn the_start_is_recorded_when_accepting_begins_before_any_session() {
    let tcp = server(Config::new());
    let unix = server(Config::new());
    let dir = tempfile::tempdir().unwrap();
    let (notes_tcp, _rx) = notes();
    let (notes_unix, _rx2) = notes();
    tokio::spawn(aimx_tokio::serve_tcp(tcp, TcpListener::bind("127.0.0.1:0").await.unwrap(), notes_tcp));
    tokio::spawn(aimx_tokio::serve_unix(unix, UnixListener::bind(dir.path().join("s")).unwrap(), notes_unix));
    for server in [tcp, unix] {
        for _ in 0..1000 {
            if server.stats().started_at.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let stats = server.stats();
        assert_eq!(stats.sessions_total, 0);
        assert!(stats.started_at.is_some_and(|t| t.secs() > 0), "{stats:?}");
    }
}

/// "No limit" (`usize::MAX` sessions) is more reply buffers than one pool
/// can hold: sessions are served with buffers of their own instead, and
/// the accept loop goes on (it died on the first connection before).
#[tokio::test]
async fn a_server_too_large_for_a_buffer_pool_still_serves() {
    let server = server(Config::new().max_sessions(usize::MAX));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aimx.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (notes, _rx) = notes();
    let accepting = tokio::spawn(aimx_tokio::serve_unix(server, listener, notes));
    for round in 0..2 {
        let mut c = Client::new(UnixStream::connect(&path).await.unwrap());
        c.send(r#"{"version":"1.0"}"#).await;
        assert_eq!(c.json().await.expect("a welcome")["version"], "1.0", "round {round}");
        let reply = c.call(1, "record.get", json!({"name": "config.log_level"})).await;
        assert_eq!(reply["result"], "info", "round {round}");
    }
    assert!(!accepting.is_finished(), "the accept loop still runs");
}
