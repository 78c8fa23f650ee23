//! The TCP accept loop's idle timeout, over real sockets with a 500 ms one:
//! an idle TCP session is told `idle_timeout` and closed, `ping`s keep it,
//! it can be turned off, and Unix sessions keep the server's setting (off).

mod common;

use std::time::{Duration, Instant};

use aimx::{Config, SessionEnd};
use aimx_tokio::TcpOptions;
use common::{hear, notes, server, Client, Heard};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

const IDLE: Duration = Duration::from_millis(500);

#[test]
fn tcp_default_is_five_minutes() {
    assert_eq!(TcpOptions::new().idle_timeout, Some(Duration::from_secs(300)));
}

#[tokio::test]
async fn an_idle_tcp_session_is_told_and_closed_a_unix_one_stays() {
    // The server's own config has no idle timeout: only the TCP loop sets one.
    let server = server(Config::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, mut heard) = notes();
    let options = TcpOptions::new().idle_timeout(Some(IDLE));
    tokio::spawn(aimx_tokio::serve_tcp_with(server, listener, options, notes, std::future::pending()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.sock");
    let unix = UnixListener::bind(&path).unwrap();
    tokio::spawn(aimx_tokio::serve_unix(server, unix, |_| {}));

    let mut tcp = Client::new(TcpStream::connect(addr).await.unwrap());
    let mut local = Client::new(UnixStream::connect(&path).await.unwrap());
    local.hello().await;
    // Taken before the hello is sent, so before the server starts counting.
    let asked = Instant::now();
    tcp.hello().await;
    let last = tcp.json().await.expect("a last line before the end");
    assert!(asked.elapsed() >= IDLE, "closed after {:?}", asked.elapsed());
    assert_eq!(last["error"]["code"], "idle_timeout", "{last}");
    assert_eq!(tcp.next().await.unwrap(), None, "a clean end of stream follows");
    hear(&mut heard, |h| (*h == Heard::Closed(SessionEnd::IdleTimeout)).then_some(())).await;

    // The Unix session, as idle, is still there.
    local.send(r#"{"id":1,"method":"ping"}"#).await;
    assert_eq!(local.json().await.unwrap()["result"]["pong"], true);
    assert_eq!(server.stats().sessions_idle, 1);
}

#[tokio::test]
async fn pings_keep_a_tcp_session_and_none_turns_it_off() {
    let server = server(Config::new());
    let (notes, _heard) = notes();
    let pinged = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pinged_addr = pinged.local_addr().unwrap();
    let options = TcpOptions::new().idle_timeout(Some(IDLE));
    tokio::spawn(aimx_tokio::serve_tcp_with(server, pinged, options, notes, std::future::pending()));
    let off = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let off_addr = off.local_addr().unwrap();
    let options = TcpOptions::new().idle_timeout(None);
    tokio::spawn(aimx_tokio::serve_tcp_with(server, off, options, |_| {}, std::future::pending()));

    let mut pinging = Client::new(TcpStream::connect(pinged_addr).await.unwrap());
    let mut quiet = Client::new(TcpStream::connect(off_addr).await.unwrap());
    pinging.hello().await;
    quiet.hello().await;
    // Four idle timeouts long, a ping every fifth of one (a wide margin
    // for a loaded machine).
    for id in 0..20 {
        tokio::time::sleep(IDLE / 5).await;
        pinging.send(&format!(r#"{{"id":{id},"method":"ping"}}"#)).await;
        assert_eq!(pinging.json().await.expect("cut while pinging")["result"]["pong"], true);
    }
    quiet.send(r#"{"id":1,"method":"ping"}"#).await;
    assert_eq!(quiet.json().await.expect("cut with the timeout off")["result"]["pong"], true);
    assert_eq!(server.stats().sessions_idle, 0);
}
