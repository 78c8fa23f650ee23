//! Peers that try to crowd others out or guess the token, over real TCP.

mod common;

use std::time::{Duration, Instant};

use aimx::{Config, SessionEnd, Token};
use aimx_tokio::{PeerLimits, TcpOptions};
use common::{hear, notes, server, Client, Heard};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_the_refusal_arrives_intact_not_as_a_reset() {
    let server = server(Config::new().max_sessions(1));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, _heard) = notes();
    tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));
    let mut holder = Client::new(TcpStream::connect(addr).await.unwrap());
    holder.hello().await;

    let mut refused = tokio::task::JoinSet::new();
    for _ in 0..40 {
        refused.spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            // The peer talks before it reads: its input is unread when the
            // server closes, which used to turn the close into a reset.
            stream.write_all(b"{\"version\":\"1.0\"}\n{\"id\":1,\"method\":\"record.list\"}\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut c = Client::new(stream);
            let first = c.next().await.map_err(|e| format!("read failed: {e}"))?;
            let code = first.as_ref().map(|v| v["error"]["code"].clone());
            let after = c.next().await.map_err(|e| format!("read after the refusal failed: {e}"))?;
            Ok::<_, String>((code, after))
        });
    }
    while let Some(done) = refused.join_next().await {
        let (code, after) = done.unwrap().unwrap();
        assert_eq!(code, Some("too_many_sessions".into()));
        assert_eq!(after, None, "a clean end of stream follows");
    }
    assert_eq!(server.stats().sessions_refused, 40);
}

#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    let server = server(Config::new().max_sessions(8));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, mut heard) = notes();
    // Loopback stands in for a remote address here.
    let limits = PeerLimits { max_per_peer: 2, exempt_loopback: false, ..PeerLimits::default() };
    let options = TcpOptions::new().peers(limits);
    tokio::spawn(aimx_tokio::serve_tcp_with(server, listener, options, notes, std::future::pending()));
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
        assert_eq!(c.hello().await["version"], "1.0");
        held.push(c);
    }
    let mut third = Client::new(TcpStream::connect(addr).await.unwrap());
    third.send(r#"{"version":"1.0"}"#).await;
    let refusal = third.json().await.unwrap();
    assert_eq!(refusal["error"]["code"], "too_many_sessions", "{refusal}");
    assert_eq!(third.json().await, None);
    hear(&mut heard, |h| (*h == Heard::PeerOverLimit).then_some(())).await;
    // One of its connections closes: it may open another.
    drop(held.pop());
    hear(&mut heard, |h| matches!(h, Heard::Closed(_)).then_some(())).await;
    let mut again = Client::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(again.hello().await["version"], "1.0");
}

#[tokio::test]
async fn token_guessing_is_paced_after_a_few_failures() {
    let server = server(Config::new().token(Token::new("s3cret")));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, mut heard) = notes();
    let limits = PeerLimits { free_failures: 3, guess_interval: Duration::from_millis(50), ..PeerLimits::default() };
    tokio::spawn(aimx_tokio::serve_tcp_with(
        server,
        listener,
        TcpOptions::new().peers(limits),
        notes,
        std::future::pending(),
    ));

    let guesses = 23;
    let started = Instant::now();
    for i in 0..guesses {
        let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
        c.send(&format!(r#"{{"version":"1.0","auth_token":"guess{i}"}}"#)).await;
        assert_eq!(c.json().await.unwrap()["error"]["code"], "auth_failed");
        assert_eq!(c.json().await, None);
        drop(c);
        // The failure is recorded when the session ends.
        hear(&mut heard, |h| matches!(h, Heard::Closed(_)).then_some(())).await;
    }
    let took = started.elapsed();
    // The first 3 are free; the other 20 take 50 ms turns (the first turn
    // is at once): at most 20 guesses a second here, 10 with the default.
    assert!(took >= Duration::from_millis(19 * 50), "{guesses} guesses in {took:?}");
    assert_eq!(server.stats().auth_failures, guesses);

    // The right token still gets in (after its turn).
    let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
    c.send(r#"{"version":"1.0","auth_token":"s3cret"}"#).await;
    assert_eq!(c.json().await.unwrap()["authenticated"], true);
    drop(c);
    assert_eq!(
        hear(&mut heard, |h| match h {
            Heard::Closed(end) => Some(*end),
            _ => None,
        })
        .await,
        SessionEnd::PeerClosed
    );
}

#[tokio::test]
async fn accepted_tcp_sockets_have_keepalive_on() {
    let server = server(Config::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, _heard) = notes();
    // The loop's socket options are observable from the server's side only:
    // find the accepted socket among this process's descriptors by its
    // local and peer addresses.
    tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));
    let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
    c.hello().await;
    let mut found = 0;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let fd: i32 = match entry.unwrap().file_name().to_str().unwrap().parse() {
            Ok(fd) => fd,
            Err(_) => continue,
        };
        // SAFETY: borrowing a descriptor this process holds open for the
        // duration of the check; socket2 only calls getsockopt/getsockname.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&borrowed);
        let (Ok(local), Ok(_peer)) = (sock.local_addr(), sock.peer_addr()) else { continue };
        if local.as_socket() == Some(addr) {
            assert!(sock.keepalive().unwrap(), "keep-alive is off on an accepted socket");
            assert_eq!(sock.tcp_keepalive_time().unwrap(), aimx_std_net::keepalive::IDLE);
            found += 1;
        }
    }
    assert!(found >= 1, "no accepted socket found");
}

/// Connections that never say hello (the issue's lock-out: 64 of them
/// against 64 places) do not keep a real client out: only greeted sessions
/// count against `max_sessions`, and at most `max_pending` (here 4) silent
/// ones wait at once; a newer connection evicts the oldest one silent for a
/// second, so the client gets in within a few seconds.
#[tokio::test]
async fn silent_connections_cannot_keep_a_client_out() {
    let server = server(Config::new().max_sessions(4).max_pending(4));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, _heard) = notes();
    tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let started = Instant::now();
    let mut c = Client::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(c.hello().await["version"], "1.0");
    println!("client in after {:?}", started.elapsed());
    // An evicted session notices within half a second and then closes; under
    // load its task may not have run yet when the client gets in.
    let settled = Instant::now() + Duration::from_secs(5);
    let mut stats = server.stats();
    while stats.sessions_open > 5 && Instant::now() < settled {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stats = server.stats();
    }
    assert!(stats.sessions_open <= 5 && stats.sessions_evicted >= 1, "{stats:?}");
    assert_eq!(stats.sessions_refused, 0);
}
