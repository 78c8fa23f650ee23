//! Several sessions: limits, deadlines, isolation, cleanup.

use std::future::Future;
use std::pin::Pin;

use aimx::wire::ErrorCode;
use aimx::{Config, SessionEnd};
use serde_json::json;

use crate::common::{consumers, fixture, join_all, session, Fixture};

type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

pub async fn write_deadline_ends_only_the_stuck_session() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let (stuck_server, mut stuck) = fx.connect_with(512);
    let (ok_server, mut ok) = fx.connect();
    let clients: Task<'_, Option<SessionEnd>> = Box::pin(async move {
        stuck.hello().await;
        ok.hello().await;
        // Ask for far more than the 512-byte pipe holds and read none of it
        // (10 short requests still fit the pipe towards the server).
        for id in 0..10 {
            stuck.send(&json!({"id": id, "method": "record.list"}).to_string()).await;
        }
        assert_eq!(ok.ok("ping", json!({})).await["pong"], true);
        clock.advance_ms(29_000);
        assert_eq!(ok.ok("ping", json!({})).await["pong"], true);
        clock.advance_ms(1_000);
        // Let the server see the deadline before this client reads again.
        futures_lite::future::yield_now().await;
        // The stuck session is gone: the stream ends (possibly mid-line, as
        // the write was cut off) well short of the ten replies asked for.
        let written = stuck.drain_to_end().await;
        assert!(written < 10 * 1_500, "{written} bytes");
        assert_eq!(ok.ok("ping", json!({})).await["pong"], true);
        None
    });
    let ends = join_all(vec![
        Box::pin(async { Some(stuck_server.await) }),
        Box::pin(async { Some(ok_server.await) }),
        clients,
    ])
    .await;
    assert_eq!(ends[0], Some(SessionEnd::WriteTimeout));
    assert_eq!(ends[1], Some(SessionEnd::PeerClosed));
}

pub async fn session_limit_refuses_the_one_over() {
    let fx: Fixture = Fixture::with_config(Config::new().read_write().max_sessions(2));
    let (s1, mut c1) = fx.connect();
    let (s2, mut c2) = fx.connect();
    let (s3, mut c3) = fx.connect();
    let fxr = &fx;
    let clients: Task<'_, Option<SessionEnd>> = Box::pin(async move {
        c1.hello().await;
        c2.hello().await;
        // The third connected before the others said hello, so it was let
        // in to wait for its own; that hello is the one over.
        c3.send(r#"{"version":"1.0"}"#).await;
        assert_eq!(
            c3.json().await["error"],
            json!({"code": "too_many_sessions", "message": "server is at its limit of 2 sessions"})
        );
        assert!(c3.closed().await);
        assert_eq!(fxr.server.stats().sessions_open, 2);
        // With both places greeted, a new connection is refused at once.
        let (s4, mut c4) = fxr.connect();
        let (end, ()) = futures_lite::future::zip(s4, async {
            assert_eq!(c4.json().await["error"]["code"], "too_many_sessions");
            assert!(c4.closed().await);
        })
        .await;
        assert_eq!(end, SessionEnd::TooManySessions);
        None
    });
    let ends = join_all(vec![
        Box::pin(async { Some(s1.await) }),
        Box::pin(async { Some(s2.await) }),
        Box::pin(async { Some(s3.await) }),
        clients,
    ])
    .await;
    assert_eq!(ends[2], Some(SessionEnd::Refused(ErrorCode::TooManySessions)));
    let stats = fx.server.stats();
    assert_eq!((stats.sessions_open, stats.sessions_total, stats.sessions_refused), (0, 3, 2));
    // Places freed are places taken again.
    let (end, ()) = session(fx.connect(), async |c| {
        assert_eq!(c.hello().await["version"], "1.0");
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
}

pub async fn many_sessions_at_once() {
    let fx = fixture();
    let temp = fx.records.temperature;
    let mut tasks: Vec<Task<'_, u64>> = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..32 {
        let (server, client) = fx.connect();
        tasks.push(Box::pin(async {
            server.await;
            0
        }));
        clients.push(client);
    }
    for (i, mut c) in clients.into_iter().enumerate() {
        tasks.push(Box::pin(async move {
            c.hello().await;
            c.ok("record.subscribe", json!({"name": "sensor.temperature", "send_initial": false})).await;
            let level = ["info", "debug", "warn", "error"][i % 4];
            c.ok("record.set", json!({"name": "config.log_level", "value": level})).await;
            let mut events = 0;
            while events < 3 {
                c.next_event().await;
                events += 1;
            }
            events
        }));
    }
    tasks.push(Box::pin(async move {
        // Wait until all 32 subscribed, then publish three values.
        while consumers(temp) < 32 {
            futures_lite::future::yield_now().await;
        }
        for celsius in [1.0, 2.0, 3.0] {
            temp.publish(crate::common::records::Temperature { celsius });
        }
        0
    }));
    let out = join_all(tasks).await;
    assert_eq!(out.iter().sum::<u64>(), 32 * 3);
    let stats = fx.server.stats();
    assert_eq!((stats.sessions_total, stats.sessions_open, stats.events_sent), (32, 0, 96));
}

pub async fn closing_a_session_detaches_its_subscriptions() {
    let fx = fixture();
    let small = fx.records.small;
    let (server, mut client) = fx.connect();
    let mut server = Box::pin(server);
    // Drive the session by hand, then drop it mid-flight (a cancelled task).
    let mut body = Box::pin(async {
        client.hello().await;
        client.ok("record.subscribe", json!({"name": "test.small"})).await;
        client.ok("record.subscribe", json!({"name": "test.small"})).await;
    });
    futures_lite::future::or(
        async {
            (&mut server).await;
        },
        body.as_mut(),
    )
    .await;
    drop(body);
    assert_eq!(consumers(small), 2);
    assert_eq!(fx.server.stats().sessions_open, 1);
    drop(server);
    assert_eq!(consumers(small), 0);
    assert_eq!(fx.server.stats().sessions_open, 0);
}

/// Hands out prepared streams, then retires; records how sessions ended.
struct Streams {
    ends: Vec<crate::common::End>,
    log: std::rc::Rc<std::cell::RefCell<Vec<SessionEnd>>>,
}

impl aimx::server::Accept for Streams {
    type Stream<'a> = crate::common::End;

    async fn accept(&mut self) -> Option<crate::common::End> {
        if self.ends.is_empty() {
            None
        } else {
            Some(self.ends.remove(0))
        }
    }

    async fn ended(&mut self, end: SessionEnd) {
        self.log.borrow_mut().push(end);
    }
}

pub async fn serve_many_runs_slots_without_spawning() {
    let fx = fixture();
    let small = fx.records.small;
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let (a1, e1) = crate::common::duplex(4096);
    let (a2, e2) = crate::common::duplex(4096);
    let (b1, e3) = crate::common::duplex(4096);
    // Slot A serves two streams one after the other; slot B one.
    let slots = [Streams { ends: vec![a1, a2], log: log.clone() }, Streams { ends: vec![b1], log: log.clone() }];
    let server: Task<'_, ()> = Box::pin(fx.server.serve_many(slots));
    let clients: Task<'_, ()> = Box::pin(async move {
        use crate::common::Client;
        let (mut c1, mut c2, mut c3) = (Client::new(e1), Client::new(e2), Client::new(e3));
        // Two sessions at once: slot A's first and slot B's.
        c1.hello().await;
        c3.hello().await;
        c1.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        c3.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        small.publish(5);
        assert_eq!(c1.next_event().await["data"], 5);
        assert_eq!(c3.next_event().await["data"], 5);
        // Slot A's second stream is served only once its first ends.
        c2.send(r#"{"version":"1.0"}"#).await;
        drop(c1);
        assert_eq!(c2.json().await["version"], "1.0");
        assert_eq!(c2.ok("ping", json!({})).await["pong"], true);
    });
    join_all(vec![server, clients]).await;
    assert_eq!(*log.borrow(), [SessionEnd::PeerClosed; 3]);
    assert_eq!(fx.server.stats().sessions_total, 3);
}

pub async fn shutdown_finishes_replies_then_ends_every_session() {
    let fx = fixture();
    let (s1, mut c1) = fx.connect();
    let (s2, mut c2) = fx.connect();
    let server = fx.server;
    let clients: Task<'_, Option<SessionEnd>> = Box::pin(async move {
        c1.hello().await;
        c2.hello().await;
        c1.ok("record.subscribe", json!({"name": "test.small"})).await;
        // Requests the session has taken in are answered in full before it
        // ends: shutdown cuts no reply short.
        let burst: String = (1..=5).map(|id| format!("{{\"id\":{id},\"method\":\"record.list\"}}\n")).collect();
        c2.send_raw(burst.as_bytes()).await;
        futures_lite::future::yield_now().await;
        server.shutdown();
        for id in 1..=5 {
            assert_eq!(c2.reply(id).await["result"].as_array().unwrap().len(), 5);
        }
        assert!(c1.closed().await && c2.closed().await);
        assert!(server.is_shut_down());
        None
    });
    let ends = join_all(vec![Box::pin(async { Some(s1.await) }), Box::pin(async { Some(s2.await) }), clients]).await;
    assert_eq!(&ends[..2], [Some(SessionEnd::Shutdown); 2]);
    assert_eq!(consumers(fx.records.small), 0);
}

pub async fn serve_split_over_separate_halves() {
    let fx = fixture();
    let (end, ()) = session(fx.connect_split(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        fx.records.small.publish(3);
        assert_eq!(c.next_event().await["data"], 3);
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
}

/// Hands out one stream, but only 5 s after it was first asked.
struct Late {
    end: Option<crate::common::End>,
    clock: crate::common::ManualClock,
}

impl aimx::server::Accept for Late {
    type Stream<'a> = crate::common::End;

    async fn accept(&mut self) -> Option<crate::common::End> {
        self.clock.advance_ms(5_000);
        self.end.take()
    }
}

pub async fn started_at_is_when_serving_began_not_the_first_session() {
    let fx = fixture();
    let (end, peer) = crate::common::duplex(4096);
    // serve_many marks the start (the clock reads 100 s) before it accepts.
    let server: Task<'_, ()> = Box::pin(fx.server.serve_many([Late { end: Some(end), clock: fx.clock.clone() }]));
    let client: Task<'_, ()> = Box::pin(async move {
        let mut c = crate::common::Client::new(peer);
        c.hello().await;
        assert_eq!(c.ok("ping", json!({})).await["timestamp"], "105.000000000");
        assert_eq!(c.ok("server.stats", json!({})).await["started_at"], "100.000000000");
        assert_eq!(c.ok("record.list", json!({})).await[0]["created_at"], "100.000000000");
    });
    join_all(vec![server, client]).await;
    // Later calls keep the first start.
    fx.server.mark_started();
    assert_eq!(fx.server.stats().started_at, Some(aimx::Timestamp::from_millis(100_000)));
}

/// 64 connections that never say hello, then a real client: sessions that
/// have not said hello do not count against `max_sessions` (64), and at most
/// 16 of them wait at once (the pre-hello budget); the rest, and the client,
/// wait for a place, which frees each second as the oldest are evicted. The
/// client gets in well before the hello deadline, and no greeted place was
/// taken.
pub async fn silent_connections_cannot_keep_a_client_out() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let mut tasks: Vec<Task<'_, Option<SessionEnd>>> = Vec::new();
    let mut silent = Vec::new();
    for _ in 0..64 {
        let (server, client) = fx.connect_with(1024);
        tasks.push(Box::pin(async { Some(server.await) }));
        silent.push(client);
    }
    let (server, mut legit) = fx.connect();
    tasks.push(Box::pin(async { Some(server.await) }));
    let watched = fx.server;
    tasks.push(Box::pin(async move {
        legit.send(r#"{"version":"1.0"}"#).await;
        let mut waited = 0;
        loop {
            settle().await;
            // 16 waiting for their hello, up to 16 evicted ones that have
            // not noticed yet (they check every 0.5 s), and the client.
            let s = watched.stats();
            assert!(s.sessions_open <= 33 && s.sessions_refused == 0, "{s:?}");
            if legit.unread() > 0 {
                break;
            }
            clock.advance_ms(500);
            waited += 500;
        }
        // 65 connections through 16 places a second.
        assert!((1_000..=5_000).contains(&waited), "waited {waited} ms");
        assert_eq!(legit.json().await["version"], "1.0");
        assert_eq!(legit.ok("ping", json!({})).await["pong"], true);
        clock.advance_ms(10_000);
        for c in &mut silent {
            c.drain_to_end().await;
        }
        assert_eq!(legit.ok("ping", json!({})).await["pong"], true);
        None
    }));
    let ends = join_all(tasks).await;
    let silent_ends = |end| ends[..64].iter().filter(|e| **e == Some(end)).count();
    let evicted = silent_ends(SessionEnd::Evicted);
    assert_eq!(evicted + silent_ends(SessionEnd::HandshakeTimeout), 64, "{ends:?}");
    assert_eq!(fx.server.stats().sessions_evicted, evicted as u64);
    assert!(evicted >= 16, "{evicted}");
    assert_eq!(ends[64], Some(SessionEnd::PeerClosed));
}

/// Yields a few times, so every session and client can run.
async fn settle() {
    for _ in 0..20 {
        futures_lite::future::yield_now().await;
    }
}

/// The pre-hello budget (16): 20 silent connections and a real client. The
/// 17th and later wait for a place (none is evicted before a second of
/// silence), then each evicts the oldest silent one: the client gets in
/// after a second, and at most 16 sessions ever wait for their hello.
pub async fn silent_flood_waits_then_evicts_the_oldest() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let watched = fx.server;
    let mut tasks: Vec<Task<'_, Option<SessionEnd>>> = Vec::new();
    let mut silent = Vec::new();
    for _ in 0..20 {
        let (server, client) = fx.connect_with(1024);
        tasks.push(Box::pin(async { Some(server.await) }));
        silent.push(client);
    }
    let (server, mut legit) = fx.connect();
    tasks.push(Box::pin(async { Some(server.await) }));
    tasks.push(Box::pin(async move {
        legit.send(r#"{"version":"1.0"}"#).await;
        settle().await;
        // 16 in the budget, 5 waiting for a place; nobody evicted yet.
        let s = watched.stats();
        assert_eq!((s.sessions_open, s.sessions_evicted, s.sessions_refused), (16, 0, 0));
        assert_eq!(legit.unread(), 0);
        clock.advance_ms(1_000);
        assert_eq!(legit.json().await["version"], "1.0");
        assert_eq!(legit.ok("ping", json!({})).await["pong"], true);
        assert_eq!(watched.stats().sessions_evicted, 5);
        clock.advance_ms(10_000);
        for c in &mut silent {
            c.drain_to_end().await;
        }
        None
    }));
    let ends = join_all(tasks).await;
    let evicted = ends.iter().filter(|e| **e == Some(SessionEnd::Evicted)).count();
    let timed_out = ends.iter().filter(|e| **e == Some(SessionEnd::HandshakeTimeout)).count();
    assert_eq!((evicted, timed_out), (5, 15), "{ends:?}");
    assert_eq!(ends[20], Some(SessionEnd::PeerClosed));
}

/// Streams handed out from a shared queue, like sockets from a listener:
/// `accept` waits until one is queued, `None` once closed and empty.
#[derive(Clone, Default)]
struct Listener {
    queue: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<crate::common::End>>>,
    closed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl aimx::server::Accept for Listener {
    type Stream<'a> = crate::common::End;

    async fn accept(&mut self) -> Option<crate::common::End> {
        loop {
            if let Some(end) = self.queue.borrow_mut().pop_front() {
                return Some(end);
            }
            if self.closed.get() {
                return None;
            }
            futures_lite::future::yield_now().await;
        }
    }
}

/// `serve_many` with 2 slots, both taken by connections that never say
/// hello: while every slot is taken, the oldest one silent for a second is
/// evicted, so the client queued behind them gets a slot after a second
/// rather than at the 10 s hello deadline.
pub async fn serve_many_evicts_silent_connections_holding_every_slot() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let listener = Listener::default();
    let server: Task<'_, ()> = Box::pin(fx.server.serve_many([listener.clone(), listener.clone()]));
    let watched = fx.server;
    let clients: Task<'_, ()> = Box::pin(async move {
        use crate::common::Client;
        let mut silent = Vec::new();
        for _ in 0..2 {
            let (end, peer) = crate::common::duplex(4096);
            listener.queue.borrow_mut().push_back(end);
            silent.push(Client::new(peer));
        }
        let (end, peer) = crate::common::duplex(4096);
        listener.queue.borrow_mut().push_back(end);
        let mut legit = Client::new(peer);
        legit.send(r#"{"version":"1.0"}"#).await;
        settle().await;
        assert_eq!((watched.stats().sessions_open, watched.stats().sessions_evicted), (2, 0));
        assert_eq!(legit.unread(), 0);
        // Silent sessions check every 0.5 s; the oldest goes at 1 s.
        let mut waited = 0;
        while legit.unread() == 0 {
            clock.advance_ms(500);
            waited += 500;
            settle().await;
            assert!(waited <= 2_000, "no slot freed after {waited} ms");
        }
        assert_eq!(legit.json().await["version"], "1.0");
        assert_eq!(legit.ok("ping", json!({})).await["pong"], true);
        // With the client in, the other silent one holds the last slot: it goes too.
        clock.advance_ms(500);
        for c in &mut silent {
            assert_eq!(c.drain_to_end().await, 0);
        }
        assert_eq!(watched.stats().sessions_evicted, 2);
        listener.closed.set(true);
    });
    join_all(vec![server, clients]).await;
}

/// Waiting for a place in a full pre-hello budget counts against the hello
/// deadline (from the connection): a flood faster than the budget frees
/// cannot pile up waiting connections.
pub async fn waiting_for_a_place_counts_against_the_hello_deadline() {
    let fx: Fixture = Fixture::with_config(Config::new().max_pending(1).handshake_timeout_ms(500));
    let clock = fx.clock.clone();
    let (first, mut a) = fx.connect();
    let (second, mut b) = fx.connect();
    let watched = fx.server;
    let ends = join_all(vec![
        Box::pin(async { Some(first.await) }),
        Box::pin(async { Some(second.await) }),
        Box::pin(async move {
            settle().await;
            // The second waits for a place (the first is younger than 1 s).
            assert_eq!(watched.stats().sessions_open, 1);
            clock.advance_ms(500);
            assert!(a.closed().await && b.closed().await);
            None
        }),
    ])
    .await;
    assert_eq!(&ends[..2], [Some(SessionEnd::HandshakeTimeout); 2]);
    let s = fx.server.stats();
    assert_eq!((s.sessions_total, s.sessions_evicted), (1, 0));
}
