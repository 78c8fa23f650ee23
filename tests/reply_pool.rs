//! Sessions that take their reply buffer from a shared pool
//! (`Server::serve_pooled`, 64-bit hosts; issue 11): a buffer is never
//! held by two sessions, a session keeps its partial line and its unwritten
//! replies while others use the pool, and a pool smaller than the sessions
//! only makes sessions wait, never loses or mixes a reply.
#![cfg(target_pointer_width = "64")]

mod common;

use std::future::Future;
use std::pin::Pin;

use aimx::server::ReplyPool;
use aimx::SessionEnd;
use aimx_std_net::reply_pool::Readers;
use aimx_testing::json;
use common::{duplex, fixture, join_all, Client, Fixture};

/// A pool of `n` reply buffers of 1 KiB, and line readers made as needed
/// (the std adapters' kind), for the whole test binary's life.
fn pool(n: usize) -> Pools {
    let buffers = Vec::leak(vec![[0u8; 1024]; n]);
    let slots = Vec::leak(std::iter::repeat_with(|| None).take(n).collect());
    (Box::leak(Box::new(ReplyPool::new(buffers, slots))), Box::leak(Box::new(Readers::new())))
}

type Pools = (&'static ReplyPool<'static, 1024>, &'static Readers<1024>);

type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A pooled session over a pipe of `capacity` bytes each way.
fn connect(f: &Fixture, pools: Pools, capacity: usize) -> (Task<'static, SessionEnd>, Client) {
    let (server_end, client_end) = duplex(capacity);
    (Box::pin(f.server.serve_pooled(server_end, 0, pools.0, pools.1)), Client::new(client_end))
}

/// Sets the long note through a session of its own (every `record.get`
/// of it is then a ~350 B reply) and returns the note.
fn set_long_note(f: &Fixture) -> String {
    let note = format!("{}!", "x".repeat(320));
    let (server, mut client) = f.connect();
    let value = json!({"name": "test.note", "value": note});
    let talk = async move {
        client.hello().await;
        client.ok("record.set", value).await;
    };
    futures_lite::future::block_on(futures_lite::future::zip(server, talk));
    note
}

/// `count` pipelined gets of the note with ids from `first`: all sent,
/// then every reply read and checked (its id, in order, and the value).
async fn gets(client: &mut Client, first: u64, count: u64, note: &str) {
    for id in first..first + count {
        client.send(&json!({"id": id, "method": "record.get", "params": {"name": "test.note"}}).to_string()).await;
    }
    for id in first..first + count {
        // `reply` fails on another id: a reply from another session's buffer.
        let reply = client.reply(id).await;
        assert_eq!(reply["result"], json!(note), "{reply}");
    }
}

#[test]
fn six_sessions_on_two_buffers_get_their_own_replies() {
    let f = fixture();
    let note = set_long_note(&f);
    let pools = pool(2);
    let mut tasks: Vec<Task<'static, ()>> = Vec::new();
    for tag in 0..6u64 {
        // A small pipe: writes wait for the client, so sessions hold their
        // buffer across waits and the others wait for one.
        let (server, mut client) = connect(&f, pools, 256);
        let note = note.clone();
        tasks.push(Box::pin(async move {
            assert_eq!(server.await, SessionEnd::PeerClosed);
        }));
        tasks.push(Box::pin(async move {
            assert!(client.hello().await.get("error").is_none());
            for round in 0..4 {
                gets(&mut client, 1000 * tag + 10 * round, 6, &note).await;
                futures_lite::future::yield_now().await;
            }
        }));
    }
    futures_lite::future::block_on(join_all(tasks));
    assert_eq!(pools.0.free(), 2, "every buffer came back");
    // One reader per session at most, all given back.
    assert!(pools.1.made() <= 6, "{} readers for 6 sessions", pools.1.made());
    assert_eq!(pools.1.free(), pools.1.made());
}

#[test]
fn a_partial_line_and_unwritten_replies_stay_with_their_session() {
    let f = fixture();
    let note = set_long_note(&f);
    let pools = pool(1);
    // A: a pipe of 1 KiB each way: eight requests fit on the way in, their
    // replies (~2.8 KB) not in the pipe and the buffer together, so the
    // session is left holding replies it cannot write while A does not read.
    let (server_a, mut a) = connect(&f, pools, 1024);
    let (server_b, mut b) = connect(&f, pools, 64 * 1024);
    let gate = std::rc::Rc::new(std::cell::Cell::new(0u8));
    let (ga, gb) = (gate.clone(), gate.clone());
    let a_task: Task<'static, ()> = Box::pin(async move {
        assert!(a.hello().await.get("error").is_none());
        // Half a line, then B's whole exchange, then the rest.
        a.send_raw(br#"{"id":1,"method":"pi"#).await;
        ga.set(1);
        until(&ga, 2).await;
        a.send_raw(b"ng\",\"params\":{}}\n").await;
        assert_eq!(a.reply(1).await["result"]["pong"], true);
        // Replies the session cannot write yet: it holds the pool's one
        // buffer while B asks for a reply.
        for id in 10..18 {
            a.send(&json!({"id": id, "method": "record.get", "params": {"name": "test.note"}}).to_string()).await;
        }
        ga.set(3);
        for _ in 0..50 {
            futures_lite::future::yield_now().await;
        }
        assert_eq!(ga.get(), 3, "B waits for the buffer A's session holds");
        for id in 10..18 {
            let reply = a.reply(id).await;
            assert_eq!(reply["result"], json!(note), "{reply}");
        }
    });
    let b_task: Task<'static, ()> = Box::pin(async move {
        until(&gb, 1).await;
        assert!(b.hello().await.get("error").is_none());
        assert_eq!(b.ok("ping", json!({})).await["pong"], true);
        gb.set(2);
        until(&gb, 3).await;
        assert_eq!(b.ok("ping", json!({})).await["pong"], true);
        gb.set(4);
    });
    let servers: Task<'static, ()> = Box::pin(async move {
        let (ea, eb) = futures_lite::future::zip(server_a, server_b).await;
        assert_eq!((ea, eb), (SessionEnd::PeerClosed, SessionEnd::PeerClosed));
    });
    futures_lite::future::block_on(join_all(vec![servers, a_task, b_task]));
    assert_eq!(pools.0.free(), 1);
    assert_eq!(pools.1.free(), pools.1.made());
}

/// Waits (yielding) until `gate` reaches `at`.
async fn until(gate: &std::cell::Cell<u8>, at: u8) {
    while gate.get() < at {
        futures_lite::future::yield_now().await;
    }
}
