//! Sessions over TLS with certificates made at test time: a whole session
//! works, a plain client gets a clear failure, a client trusting another CA
//! refuses the server, a required client certificate is enforced, a peer
//! that never finishes the handshake holds no session place, and a refusal
//! over the per-address cap arrives inside TLS.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aimx::Config;
use aimx_tokio::{tls, PeerLimits, TcpOptions};
use common::{hear, notes, server, Client, Heard};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

/// A CA and a certificate it signed for `localhost`.
struct Pki {
    ca: CertificateDer<'static>,
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
    leaf: CertificateDer<'static>,
    leaf_key: PrivateKeyDer<'static>,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    (params.self_signed(&key).unwrap(), key)
}

fn signed(
    names: &[&str],
    ca: &rcgen::Certificate,
    ca_key: &KeyPair,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, ca, ca_key).unwrap();
    (cert.der().clone(), PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
}

fn pki() -> Pki {
    let (ca_cert, ca_key) = ca("aimx test CA");
    let (leaf, leaf_key) = signed(&["localhost"], &ca_cert, &ca_key);
    Pki { ca: ca_cert.der().clone(), ca_cert, ca_key, leaf, leaf_key }
}

fn connector(
    trusted: &CertificateDer<'static>,
    client_cert: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
    };
    TlsConnector::from(Arc::new(config))
}

async fn tls_server(
    config: Arc<rustls::ServerConfig>,
) -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Heard>) {
    tls_server_with(TcpOptions::new().tls(config)).await
}

async fn tls_server_with(options: TcpOptions) -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Heard>) {
    let (addr, heard, _) = tls_server_configured(Config::new().read_write(), options).await;
    (addr, heard)
}

async fn tls_server_configured(
    config: Config<'static>,
    options: TcpOptions,
) -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Heard>, &'static common::TestServer) {
    let server = server(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, heard) = notes();
    tokio::spawn(aimx_tokio::serve_tcp_with(server, listener, options, notes, std::future::pending()));
    (addr, heard, server)
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

#[tokio::test]
async fn a_whole_session_over_tls() {
    let pki = pki();
    let config = tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), None).unwrap();
    let (addr, _heard) = tls_server(config).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let stream = connector(&pki.ca, None).connect(localhost(), stream).await.unwrap();
    let mut c = Client::new(stream);
    assert_eq!(c.hello().await["version"], "1.0");
    c.send(&json!({"id": 1, "method": "record.list", "params": {}}).to_string()).await;
    assert_eq!(c.json().await.unwrap()["result"].as_array().unwrap().len(), 3);
    c.send(&json!({"id": 2, "method": "record.subscribe", "params": {"name": "config.log_level"}}).to_string()).await;
    assert_eq!(c.json().await.unwrap()["result"]["subscription_id"], "sub-1");
    assert_eq!(c.json().await.unwrap()["event"]["data"], "info");
    c.send(
        &json!({"id": 3, "method": "record.set", "params": {"name": "config.log_level", "value": "warn"}}).to_string(),
    )
    .await;
    // The reply and the event it causes, in either order.
    let mut seen = [c.json().await.unwrap(), c.json().await.unwrap()];
    seen.sort_by_key(|v| v.get("id").is_none());
    assert_eq!(seen[0]["result"]["value"], "warn");
    assert_eq!(seen[1]["event"]["data"], "warn");
}

#[tokio::test]
async fn a_plain_client_on_the_tls_port_gets_a_clear_failure() {
    let pki = pki();
    let config = tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), None).unwrap();
    let (addr, mut heard) = tls_server(config).await;
    let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
    c.send(r#"{"version":"1.0"}"#).await;
    // No welcome: the connection ends (a TLS alert is not a line of JSON).
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        use tokio::io::AsyncReadExt;
        let (mut rx, _tx) = (c.lines.into_inner().into_inner(), c.tx);
        let _ = rx.read_to_end(&mut bytes).await;
    });
    read.await.unwrap();
    assert!(!bytes.starts_with(b"{"), "a plain client got JSON from a TLS port: {bytes:?}");
    let reason = hear(&mut heard, |h| match h {
        Heard::Dropped(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("TLS handshake failed"), "{reason}");
}

#[tokio::test]
async fn a_client_trusting_another_ca_refuses_the_server() {
    let pki = pki();
    let config = tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), None).unwrap();
    let (addr, _heard) = tls_server(config).await;
    let (other_ca, _) = ca("someone else");
    let stream = TcpStream::connect(addr).await.unwrap();
    let error = connector(other_ca.der(), None).connect(localhost(), stream).await.unwrap_err();
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_required_client_certificate_is_enforced() {
    let pki = pki();
    let config =
        tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), Some(vec![pki.ca.clone()])).unwrap();
    let (addr, mut heard) = tls_server(config).await;

    // Without a certificate: the server drops the connection.
    let stream = TcpStream::connect(addr).await.unwrap();
    if let Ok(stream) = connector(&pki.ca, None).connect(localhost(), stream).await {
        // TLS 1.3: the client finishes first and hears of the refusal on read.
        let mut c = Client::new(stream);
        c.send(r#"{"version":"1.0"}"#).await;
        assert!(c.next().await.is_err() || c.next().await.unwrap().is_none());
    }
    let reason = hear(&mut heard, |h| match h {
        Heard::Dropped(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("TLS handshake failed"), "{reason}");

    // With one the CA signed: served.
    let client_cert = signed(&["a client"], &pki.ca_cert, &pki.ca_key);
    let stream = TcpStream::connect(addr).await.unwrap();
    let stream = connector(&pki.ca, Some(client_cert)).connect(localhost(), stream).await.unwrap();
    let mut c = Client::new(stream);
    assert_eq!(c.hello().await["version"], "1.0");
}

#[tokio::test]
async fn over_the_address_cap_the_refusal_arrives_inside_tls() {
    let pki = pki();
    let config = tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), None).unwrap();
    let limits = PeerLimits { max_per_peer: 1, exempt_loopback: false, ..PeerLimits::default() };
    let (addr, _heard) = tls_server_with(TcpOptions::new().tls(config).peers(limits)).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut first = Client::new(connector(&pki.ca, None).connect(localhost(), stream).await.unwrap());
    assert_eq!(first.hello().await["version"], "1.0");
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut second = Client::new(connector(&pki.ca, None).connect(localhost(), stream).await.unwrap());
    assert_eq!(second.json().await.unwrap()["error"]["code"], "too_many_sessions");
    assert!(second.next().await.unwrap().is_none());
}

/// A peer that opens TCP and sends nothing (or half a handshake) waits on
/// its own task: others are served meanwhile, it takes no session place
/// (`max_sessions` 1 still lets a real client in), and at the hello
/// deadline its connection is closed.
#[tokio::test]
async fn a_stalled_handshake_holds_no_place() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = pki();
    let config = tls::server_config(vec![pki.leaf.clone()], pki.leaf_key.clone_key(), None).unwrap();
    let server_config = Config::new().max_sessions(1).handshake_timeout_ms(1_000);
    let (addr, mut heard, server) = tls_server_configured(server_config, TcpOptions::new().tls(config)).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(&[0x16, 0x03, 0x01, 0x00, 0x80]).await.unwrap(); // a record header, then nothing
    let opened = std::time::Instant::now();

    let stream = TcpStream::connect(addr).await.unwrap();
    let mut c = Client::new(connector(&pki.ca, None).connect(localhost(), stream).await.unwrap());
    assert_eq!(c.hello().await["version"], "1.0", "the real client is served at once");
    assert_eq!(server.stats().sessions_open, 1, "the stalled peers hold no session");

    for stream in [&mut silent, &mut half] {
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await.unwrap();
    }
    let held = opened.elapsed();
    assert!(held >= Duration::from_millis(900) && held < Duration::from_secs(5), "held {held:?}");
    for _ in 0..2 {
        let reason = hear(&mut heard, |h| match h {
            Heard::Dropped(reason) => Some(reason.clone()),
            _ => None,
        })
        .await;
        assert_eq!(reason, "TLS handshake timed out");
    }
    c.send(&json!({"id": 1, "method": "ping"}).to_string()).await;
    assert_eq!(c.json().await.unwrap()["result"]["pong"], true);
}
