//! The firmware in QEMU, both UARTs driven at once with aimx-client:
//! handshake, list, get, set (bad and good), subscribe with events and
//! `dropped` when the host stops reading, hello-restart, garbage bytes.
//!
//! Run by `ci/qemu-e2e.sh`, which builds the firmware and sets
//! `AIMX_FIRMWARE_ELF`. Without it this test fails rather than pass unseen.

use std::time::Duration;

use aimx_client::{Client, ErrorCode, Options};
use aimx_tests_qemu::gate::{Gate, Gated};
use aimx_tests_qemu::qemu::Qemu;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn options() -> Options {
    let mut o = Options::default().client_name("qemu-e2e").timeout(Duration::from_secs(20));
    o.resync = true; // a UART may hold a torn line from the previous session
    o
}

/// Connects with a small receive buffer (so a stalled reader is felt soon).
async fn connect(addr: &str) -> (Client, Gate) {
    let mut last = None;
    for _ in 0..50 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        match socket.connect(addr.parse().unwrap()).await {
            Ok(stream) => {
                let (rx, tx) = stream.into_split();
                let (rx, gate) = Gated::new(rx);
                return (Client::handshake(rx, tx, options()).await.expect("handshake"), gate);
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("connect {addr}: {last:?}");
}

fn code(e: aimx_client::Error) -> ErrorCode {
    e.code().cloned().unwrap_or_else(|| panic!("expected a server error, got {e}"))
}

/// Handshake, list, get, set bad then good: `record` and its values differ
/// per port so the two sessions do not step on each other.
async fn basics(client: &Client, record: &str, bad: Value, good: Value) {
    let w = client.welcome();
    assert!(w.server.starts_with("aimx-qemu/"), "{w:?}");
    assert!(w.writable_records.iter().any(|r| r == record), "{w:?}");
    let names: Vec<String> = client.list().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["sensor.temperature", "config.log_level", "actuator.setpoint", "device.stats"]);
    // The first reading comes 100 ms after boot.
    let mut reading = client.get("sensor.temperature").await;
    for _ in 0..20 {
        if reading.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        reading = client.get("sensor.temperature").await;
    }
    let celsius = reading.unwrap()["celsius"].as_f64().unwrap();
    assert!((19.0..=23.0).contains(&celsius), "{celsius}");
    assert_eq!(code(client.set(record, bad).await.unwrap_err()), ErrorCode::ValidationError);
    assert_eq!(client.set(record, good.clone()).await.unwrap(), good);
    assert_eq!(code(client.get("no.such.record").await.unwrap_err()), ErrorCode::NotFound);
}

/// Events arrive in order; then the host stops reading (and asks for a few
/// big replies, so the link fills fast): the device cannot write, its ring
/// of 16 overruns, and the next event says how many were skipped.
async fn events_and_dropped(client: &Client, gate: &Gate) {
    let mut sub = client.subscribe("sensor.temperature").await.unwrap();
    let mut last = sub.next().await.unwrap();
    for _ in 0..3 {
        let e = sub.next().await.unwrap();
        assert_eq!((e.sequence, e.dropped), (last.sequence + 1, 0), "{e:?}");
        last = e;
    }
    eprintln!("events flow (seq {}); stalling the reader", last.sequence);
    gate.close();
    let lists = async {
        let calls = (0..30).map(|_| client.list());
        for r in futures_join(calls).await {
            r.unwrap();
        }
    };
    let stall = async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        gate.open();
    };
    tokio::join!(lists, stall);
    eprintln!("reading again");
    let mut dropped = 0;
    for _ in 0..200 {
        if dropped > 0 {
            break;
        }
        let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("an event").unwrap();
        // Nothing lost silently: every gap in the sequence is in `dropped`.
        assert_eq!(e.sequence, last.sequence + 1 + e.dropped, "{e:?} after {last:?}");
        dropped = e.dropped;
        if dropped > 0 {
            eprintln!("after the stall: seq {} dropped {}", e.sequence, e.dropped);
        }
        last = e;
    }
    assert!(dropped > 0, "a 5 s stall with a full link must cost values");
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::new();
    // Poll all at once so the requests are pipelined on the link.
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if let Some(f) = slot {
                if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                    out.push(v);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out
}

/// Raw garbage on an open session: each bad line gets an error and the
/// session goes on.
async fn garbage(addr: &str) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (rx, mut tx) = stream.into_split();
    let mut lines = BufReader::new(rx).lines();
    // Garbage before the hello too: the hello still gets a welcome.
    // (A refused pre-hello line ends that session; the port is served again.)
    tx.write_all(b"\x00\xff\xfe}{ noise\n\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    tx.write_all(b"{\"version\":\"1.0\",\"client\":\"raw\"}\n").await.unwrap();
    let mut next = async || -> Value {
        loop {
            let line =
                tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await.unwrap().unwrap().unwrap();
            // Skip anything torn or left over from the session before.
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v.get("event").is_none() {
                    return v;
                }
            }
        }
    };
    loop {
        let v = next().await;
        if v.get("server").is_some() {
            break;
        }
    }
    tx.write_all(b"\xc3\x28 not json\n").await.unwrap();
    assert_eq!(next().await["error"]["code"], "parse_error");
    tx.write_all(&[b'x'; 600]).await.unwrap();
    tx.write_all(b"\n").await.unwrap();
    assert_eq!(next().await["error"]["code"], "line_too_long");
    tx.write_all(b"{\"id\":7,\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\n").await.unwrap();
    let v = next().await;
    assert_eq!(v["id"], 7, "{v}");
    assert!(v["result"].is_string(), "{v}");
}

/// The firmware is built without the core's `drain`, `graph` and `schema`
/// features: those methods are answered `method_not_found`, and the session
/// goes on.
async fn left_out(client: &Client) {
    for method in ["record.drain", "record.schema", "graph.nodes", "graph.edges", "graph.topo_order"] {
        let e = client.call(method, json!({"name": "config.log_level"})).await.unwrap_err();
        assert_eq!(code(e), ErrorCode::MethodNotFound, "{method}");
    }
    client.ping().await.unwrap();
}

/// `device.stats` once `ok` holds (it is refreshed every 500 ms), or the
/// last value after 5 s.
async fn device_stats(client: &Client, ok: impl Fn(&Value) -> bool) -> Value {
    let mut stats = Value::Null;
    for _ in 0..25 {
        stats = client.get("device.stats").await.unwrap();
        if ok(&stats) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firmware_serves_two_uarts_in_qemu() {
    let elf = std::env::var("AIMX_FIRMWARE_ELF")
        .expect("AIMX_FIRMWARE_ELF is not set: run ci/qemu-e2e.sh, which builds the firmware and sets it");
    let mut qemu = Qemu::boot(&elf);
    let [a0, a1] = qemu.uarts.clone();

    // Both sessions at once.
    let ((c0, g0), (c1, g1)) = tokio::join!(connect(&a0), connect(&a1));
    tokio::join!(
        basics(&c0, "config.log_level", json!("loud"), json!("debug")),
        basics(&c1, "actuator.setpoint", json!({"target_celsius": "warm"}), json!({"target_celsius": 22.5})),
    );
    assert_eq!(c1.get("config.log_level").await.unwrap(), "debug", "one session sees the other's write");
    let stats = device_stats(&c0, |s| s["sessions_open"] == 2).await;
    assert_eq!(stats["sessions_open"], 2, "{stats}");
    tokio::join!(events_and_dropped(&c0, &g0), events_and_dropped(&c1, &g1));
    let stats = device_stats(&c1, |s| s["subscriptions"] == 3).await;
    assert_eq!(stats["subscriptions"], 3, "two remote + the local log-level follower: {stats}");
    left_out(&c0).await;
    qemu.assert_running();

    // Hello-restart: close both ports and open them again. The device kept
    // running; the new hello ends the old sessions' subscriptions.
    drop((c0, c1));
    let ((c0, _), (c1, _)) = tokio::join!(connect(&a0), connect(&a1));
    let stats = device_stats(&c0, |s| s["subscriptions"] == 1).await;
    assert_eq!(stats["subscriptions"], 1, "old subscriptions ended: {stats}");
    assert_eq!(stats["sessions_open"], 2, "{stats}");
    assert!(stats["uptime_ms"].as_u64().unwrap() > 5_000, "no reboot: {stats}");
    let (hw, size) = (stats["stack_high_water"].as_u64().unwrap(), stats["stack_size"].as_u64().unwrap());
    assert!(hw > 0 && hw < size, "{stats}");
    println!("device.stats after the run: {stats}");

    // Garbage on UART1 while UART0 stays usable.
    drop(c1);
    garbage(&a1).await;
    c0.ping().await.unwrap();
    let c1 = connect(&a1).await.0;
    assert_eq!(c1.get("actuator.setpoint").await.unwrap(), json!({"target_celsius": 22.5}));
    qemu.assert_running();
}
