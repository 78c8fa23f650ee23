//! The futures-io accept loop over TLS, with certificates made at test
//! time: a whole session (async-std and smol), a plain client on the TLS
//! port fails clearly, a client trusting another CA refuses the server, a
//! required client certificate is enforced, a peer that never finishes the
//! handshake holds neither a session place nor the accept loop, and a
//! refusal over the per-address cap arrives inside TLS.

mod common;

#[path = "../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server};
use aimx_async_std::{
    serve_incoming_with, AsyncStdSpawner, IoClock, PeerLimits, ServeOptions, SessionNote, SmolSpawner,
};
use aimx_std_net::rustls;
use aimx_std_net::test_pki::{client_config, localhost, Ca, Identity};
use common::Client;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use serde_json::json;

fn server(config: Config<'static>) -> &'static Server<'static, IoClock> {
    let records: Vec<&'static dyn AnyRecord> = vec![
        Box::leak(Box::new(records::temperature())),
        Box::leak(Box::new(records::log_level())),
        Box::leak(Box::new(records::setpoint())),
    ];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    Box::leak(Box::new(Server::new(registry, config, IoClock)))
}

/// The accept loop's notes (a plain `fn`, so kept in a static): the peer of
/// each session opened, and why sessions were dropped before serving.
static OPENED: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
static DROPPED: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());

fn note(note: SessionNote<'_>) {
    match note {
        SessionNote::Opened { id, peer } => OPENED.lock().unwrap().push((id, peer.to_owned())),
        SessionNote::Dropped { id, reason } => DROPPED.lock().unwrap().push((id, reason.to_owned())),
        _ => {}
    }
}

/// Why the connection from local address `client` was dropped (waits up to
/// 10 s for the note; tests run in parallel, so notes are told apart by
/// the client's port).
fn dropped_reason(client: SocketAddr) -> String {
    let start = Instant::now();
    loop {
        let peer = format!("tcp {client}");
        let id = OPENED.lock().unwrap().iter().find(|(_, p)| *p == peer).map(|(id, _)| *id);
        if let Some(reason) = id.and_then(|id| DROPPED.lock().unwrap().iter().find(|(i, _)| *i == id).cloned()) {
            return reason.1;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no dropped note for {peer}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Which runtime runs the test and the accept loop.
#[derive(Clone, Copy)]
enum Runtime {
    AsyncStd,
    Smol,
}

impl Runtime {
    fn block_on<T>(self, test: impl std::future::Future<Output = T>) -> T {
        match self {
            Runtime::AsyncStd => async_std::task::block_on(test),
            Runtime::Smol => smol::block_on(test),
        }
    }

    /// Starts the accept loop with `options` on a fresh server; its address.
    async fn serve(
        self,
        config: Config<'static>,
        options: ServeOptions,
    ) -> (SocketAddr, &'static Server<'static, IoClock>) {
        let server = server(config);
        let stop = std::future::pending();
        let addr = match self {
            Runtime::AsyncStd => {
                let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                async_std::task::spawn(serve_incoming_with(server, listener, AsyncStdSpawner, options, note, stop));
                addr
            }
            Runtime::Smol => {
                let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                smol::spawn(serve_incoming_with(server, listener, SmolSpawner, options, note, stop)).detach();
                addr
            }
        };
        (addr, server)
    }
}

async fn connect(addr: SocketAddr) -> async_std::net::TcpStream {
    async_std::net::TcpStream::connect(addr).await.unwrap()
}

async fn tls_client(
    addr: SocketAddr,
    ca: &Ca,
    identity: Option<Identity>,
) -> std::io::Result<futures_rustls::client::TlsStream<async_std::net::TcpStream>> {
    TlsConnector::from(client_config(&ca.cert(), identity)).connect(localhost(), connect(addr).await).await
}

fn a_whole_session_over_tls(runtime: Runtime) {
    runtime.block_on(async {
        let ca = Ca::new("aimx test CA");
        let (addr, _) =
            runtime.serve(Config::new().read_write(), ServeOptions::new().tls(ca.server_config(false))).await;
        let mut c = Client::new(tls_client(addr, &ca, None).await.unwrap());
        assert_eq!(c.hello().await["version"], "1.0");
        c.send(&json!({"id": 1, "method": "record.list", "params": {}}).to_string()).await;
        assert_eq!(c.json().await["result"].as_array().unwrap().len(), 3);
        c.send(&json!({"id": 2, "method": "record.subscribe", "params": {"name": "config.log_level"}}).to_string())
            .await;
        assert_eq!(c.json().await["result"]["subscription_id"], "sub-1");
        assert_eq!(c.json().await["event"]["data"], "info");
        let set = json!({"id": 3, "method": "record.set", "params": {"name": "config.log_level", "value": "warn"}});
        c.send(&set.to_string()).await;
        // The reply and the event it causes, in either order.
        let mut seen = [c.json().await, c.json().await];
        seen.sort_by_key(|v| v.get("id").is_none());
        assert_eq!(seen[0]["result"]["value"], "warn");
        assert_eq!(seen[1]["event"]["data"], "warn");
        // Closing: the server's close_notify ends the stream cleanly.
        c.tx.close().await.unwrap();
        assert!(c.next().await.unwrap().is_none());
    })
}

#[test]
fn a_whole_session_over_tls_on_async_std() {
    a_whole_session_over_tls(Runtime::AsyncStd)
}

#[test]
fn a_whole_session_over_tls_on_smol() {
    a_whole_session_over_tls(Runtime::Smol)
}

#[test]
fn a_plain_client_on_the_tls_port_gets_a_clear_failure() {
    Runtime::AsyncStd.block_on(async {
        let ca = Ca::new("aimx test CA");
        let (addr, _) = Runtime::AsyncStd.serve(Config::new(), ServeOptions::new().tls(ca.server_config(false))).await;
        let mut stream = connect(addr).await;
        let local = stream.local_addr().unwrap();
        stream.write_all(b"{\"version\":\"1.0\"}\n").await.unwrap();
        // No welcome: the connection ends (a TLS alert is not a line of JSON).
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes).await;
        assert!(!bytes.starts_with(b"{"), "a plain client got JSON from a TLS port: {bytes:?}");
        let reason = dropped_reason(local);
        assert!(reason.contains("TLS handshake failed"), "{reason}");
    })
}

#[test]
fn a_client_trusting_another_ca_refuses_the_server() {
    Runtime::AsyncStd.block_on(async {
        let ca = Ca::new("aimx test CA");
        let (addr, _) = Runtime::AsyncStd.serve(Config::new(), ServeOptions::new().tls(ca.server_config(false))).await;
        let error = tls_client(addr, &Ca::new("someone else"), None).await.unwrap_err();
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    })
}

#[test]
fn a_required_client_certificate_is_enforced() {
    Runtime::AsyncStd.block_on(async {
        let ca = Ca::new("aimx test CA");
        let (addr, _) = Runtime::AsyncStd.serve(Config::new(), ServeOptions::new().tls(ca.server_config(true))).await;

        // Without a certificate: the server drops the connection.
        let tcp = connect(addr).await;
        let local = tcp.local_addr().unwrap();
        if let Ok(stream) = TlsConnector::from(client_config(&ca.cert(), None)).connect(localhost(), tcp).await {
            // TLS 1.3: the client finishes first and hears of the refusal on read.
            let mut c = Client::new(stream);
            c.tx.write_all(b"{\"version\":\"1.0\"}\n").await.ok();
            c.tx.flush().await.ok();
            assert!(!matches!(c.next().await, Ok(Some(_))), "served without a client certificate");
        }
        let reason = dropped_reason(local);
        assert!(reason.contains("TLS handshake failed"), "{reason}");

        // With one the CA signed: served.
        let mut c = Client::new(tls_client(addr, &ca, Some(ca.sign(&["a client"]))).await.unwrap());
        assert_eq!(c.hello().await["version"], "1.0");
    })
}

/// A peer that opens TCP and sends nothing (or half a handshake) waits on
/// its own task: the accept loop serves others meanwhile, it takes no
/// session place (`max_sessions` 1 still lets a real client in), and at
/// the hello deadline its connection is closed.
fn a_stalled_handshake_holds_no_place(runtime: Runtime) {
    runtime.block_on(async {
        let ca = Ca::new("aimx test CA");
        let config = Config::new().max_sessions(1).handshake_timeout_ms(1_000);
        let (addr, server) = runtime.serve(config, ServeOptions::new().tls(ca.server_config(false))).await;
        let mut silent = connect(addr).await;
        let mut half = connect(addr).await;
        half.write_all(&[0x16, 0x03, 0x01, 0x00, 0x80]).await.unwrap(); // a record header, then nothing
        let opened = Instant::now();

        let mut c = Client::new(tls_client(addr, &ca, None).await.unwrap());
        assert_eq!(c.hello().await["version"], "1.0", "the real client is served at once");
        assert_eq!(server.stats().sessions_open, 1, "the stalled peers hold no session");

        for (stream, what) in [(&mut silent, "silent"), (&mut half, "half a handshake")] {
            let local = stream.local_addr().unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
            let held = opened.elapsed();
            assert!(held < Duration::from_secs(5), "{what}: held {held:?}");
            assert_eq!(dropped_reason(local), "TLS handshake timed out", "{what}");
        }
        assert!(opened.elapsed() >= Duration::from_millis(900), "closed before the deadline");
        // The real session is untouched.
        c.send(&json!({"id": 1, "method": "ping"}).to_string()).await;
        assert_eq!(c.json().await["result"]["pong"], true);
    })
}

#[test]
fn a_stalled_handshake_holds_no_place_on_async_std() {
    a_stalled_handshake_holds_no_place(Runtime::AsyncStd)
}

#[test]
fn a_stalled_handshake_holds_no_place_on_smol() {
    a_stalled_handshake_holds_no_place(Runtime::Smol)
}

#[test]
fn over_the_address_cap_the_refusal_arrives_inside_tls() {
    Runtime::AsyncStd.block_on(async {
        let ca = Ca::new("aimx test CA");
        let limits = PeerLimits { max_per_peer: 1, exempt_loopback: false, ..PeerLimits::default() };
        let options = ServeOptions::new().tls(ca.server_config(false)).peers(limits);
        let (addr, _) = Runtime::AsyncStd.serve(Config::new(), options).await;
        let mut first = Client::new(tls_client(addr, &ca, None).await.unwrap());
        assert_eq!(first.hello().await["version"], "1.0");
        let mut second = Client::new(tls_client(addr, &ca, None).await.unwrap());
        assert_eq!(second.json().await["error"]["code"], "too_many_sessions");
        assert!(second.next().await.unwrap().is_none());
    })
}

/// Hands everything `from` has to send to `to`, which processes it.
fn pass<A, B>(from: &mut rustls::ConnectionCommon<A>, to: &mut rustls::ConnectionCommon<B>) {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).unwrap();
    }
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
}

/// Both sides of a handshake in memory, then whatever the server still has
/// to send (session tickets) handed over, so its send buffer starts empty.
fn handshake_in_memory(client: &mut rustls::ClientConnection, server: &mut rustls::ServerConnection) {
    for _ in 0..16 {
        pass(client, server);
        pass(server, client);
        if !client.is_handshaking() && !server.is_handshaking() && !server.wants_write() {
            return;
        }
    }
    panic!("the handshake in memory did not finish");
}

/// How many bytes of plaintext a server connection takes while its peer
/// reads nothing (nothing is handed to a socket).
fn taken_while_the_peer_does_not_read(bound: bool) -> usize {
    use std::io::Write;
    let ca = Ca::new("aimx test CA");
    let mut server = rustls::ServerConnection::new(ca.server_config(false)).unwrap();
    if bound {
        aimx_std_net::tls::bound_send_buffer(&mut server);
    }
    let mut client = rustls::ClientConnection::new(client_config(&ca.cert(), None), localhost()).unwrap();
    handshake_in_memory(&mut client, &mut server);
    let mut taken = 0;
    let event = [b'x'; 115];
    for _ in 0..2_000 {
        taken += server.writer().write(&event).unwrap();
    }
    taken
}

/// The accept loops bound what a TLS connection holds for a peer that does
/// not read: rustls alone takes 64 KiB, so a write to a slow reader would
/// never be taken in part and the session could not tell it is slow.
#[test]
fn a_tls_connection_holds_little_for_a_peer_that_does_not_read() {
    let unbounded = taken_while_the_peer_does_not_read(false);
    let bounded = taken_while_the_peer_does_not_read(true);
    assert!(unbounded > 32 * 1024, "rustls's own limit (64 KiB of records): took {unbounded} B");
    assert!(bounded <= aimx_std_net::tls::SEND_BUFFER_LIMIT, "took {bounded} B");
    assert!(bounded > 0, "took nothing");
    eprintln!("taken for a peer that does not read: {unbounded} B unbounded, {bounded} B bounded");
}
