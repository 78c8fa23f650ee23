//! Subscriptions: sequences, `dropped`, limits, and slow subscribers.

use aimx::{SessionEnd, Timestamp};
use serde_json::{json, Value};

use crate::common::records::Temperature;
use crate::common::{consumers, fixture, join_all, session};

pub async fn events_carry_sequence_and_initial_value() {
    let fx = fixture();
    let temp = fx.records.temperature;
    temp.publish_at(Temperature { celsius: 20.0 }, Timestamp::from_millis(1_500));
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "sensor.temperature"})).await;
        assert_eq!(sub, json!({"subscription_id": "sub-1", "queue_size": 16}));
        assert_eq!(
            c.next_event().await,
            json!({"subscription_id": "sub-1", "sequence": 1, "data": {"celsius": 20.0}, "timestamp": "1.500000000"})
        );
        for (i, celsius) in [21.0, 21.5, 22.0].into_iter().enumerate() {
            temp.publish_at(Temperature { celsius }, Timestamp::from_millis(2_000 + i as u64));
            let event = c.next_event().await;
            assert_eq!(event["sequence"], i as u64 + 2);
            assert_eq!(event["data"]["celsius"], celsius);
            assert!(event.get("dropped").is_none(), "no gap, no dropped: {event}");
        }
    })
    .await;
}

pub async fn every_subscriber_sends_each_value_with_its_timestamp() {
    // On 64-bit hosts the first session to send a value keeps its
    // timestamp member with the value's JSON and the others copy it: each
    // must still read as the value's own, and a value stamped zero as the
    // server's `created_at`.
    let fx = fixture();
    let temp = fx.records.temperature;
    let (server_a, mut a) = fx.connect();
    let (server_b, mut b) = fx.connect();
    let server = fx.server;
    let clients = async move {
        for c in [&mut a, &mut b] {
            c.hello().await;
            c.ok("record.subscribe", json!({"name": "sensor.temperature", "send_initial": false})).await;
        }
        let created_at = server.stats().started_at.expect("started").to_string();
        let stamps = [
            Timestamp::from_millis(1_500),
            Timestamp::ZERO,
            Timestamp::from_nanos(1_764_332_412_000_000_007),
            Timestamp::from_millis(1_500),
            Timestamp::from_nanos(u64::MAX),
        ];
        // Twice the values a record keeps texts for, some read by
        // `record.get` first (which keeps the value's JSON, no timestamp).
        for (i, t) in stamps.into_iter().cycle().take(20).enumerate() {
            temp.publish_at(Temperature { celsius: i as f32 }, t);
            if i % 3 == 0 {
                let got = a.ok("record.get", json!({"name": "sensor.temperature"})).await;
                assert_eq!(got, json!({"celsius": i as f32}));
            }
            let want = if t == Timestamp::ZERO { created_at.clone() } else { t.to_string() };
            for c in [&mut a, &mut b] {
                let e = c.next_event().await;
                assert_eq!((e["timestamp"].as_str(), &e["data"]), (Some(want.as_str()), &json!({"celsius": i as f32})));
            }
        }
        drop((a, b));
        Some(())
    };
    let done = join_all(vec![
        Box::pin(async {
            server_a.await;
            None
        }),
        Box::pin(async {
            server_b.await;
            None
        }),
        Box::pin(clients),
    ])
    .await;
    assert_eq!(done[2], Some(()));
}

pub async fn send_initial_false_and_queue_size() {
    let fx = fixture();
    let small = fx.records.small;
    small.publish(100);
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false, "queue_size": 2})).await;
        assert_eq!(sub["queue_size"], 2);
        // Larger than the ring: the record's capacity is what is granted.
        let sub2 =
            c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false, "queue_size": 99})).await;
        assert_eq!(sub2["queue_size"], 4);
        c.ok("record.unsubscribe", json!({"subscription_id": "sub-2"})).await;
        small.publish(101);
        let e = c.next_event().await;
        assert_eq!((e["sequence"].clone(), e["data"].clone()), (json!(1), json!(101)));
        assert_eq!(c.err("record.subscribe", json!({"name": "test.small", "queue_size": 0})).await, "invalid_params");
    })
    .await;
}

pub async fn subscription_limit_and_errors() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        for i in 1..=4 {
            let sub = c.ok("record.subscribe", json!({"name": "config.log_level", "send_initial": false})).await;
            assert_eq!(sub["subscription_id"], format!("sub-{i}"));
        }
        let reply = c.call("record.subscribe", json!({"name": "config.log_level"})).await;
        assert_eq!(
            reply["error"],
            json!({"code": "too_many_subscriptions", "message": "at most 4 subscriptions per session"})
        );
        assert_eq!(c.err("record.subscribe", json!({"name": "nope"})).await, "not_found");
        assert_eq!(c.err("record.subscribe", json!({})).await, "invalid_params");
        assert_eq!(c.err("record.subscribe", json!({"name": "test.small", "queue_size": "x"})).await, "invalid_params");
        // Freeing one makes room again.
        c.ok("record.unsubscribe", json!({"subscription_id": "sub-3"})).await;
        let sub = c.ok("record.subscribe", json!({"name": "config.log_level", "send_initial": false})).await;
        assert_eq!(sub["subscription_id"], "sub-5");
    })
    .await;
}

pub async fn unsubscribe_stops_events() {
    let fx = fixture();
    let small = fx.records.small;
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.small"})).await;
        small.publish(1);
        assert_eq!(c.next_event().await["data"], 1);
        assert_eq!(consumers(small), 1);
        small.publish(2);
        let result = c.ok("record.unsubscribe", json!({"subscription_id": "sub-1"})).await;
        assert_eq!(result, json!({"subscription_id": "sub-1", "status": "cancelled"}));
        assert_eq!(consumers(small), 0);
        // Any event queued before the reply came first; none after it.
        c.events.clear();
        small.publish(3);
        let pong = c.call("ping", json!({})).await;
        assert_eq!(pong["result"]["pong"], true);
        assert!(c.events.is_empty(), "event after unsubscribe: {:?}", c.events);
        let reply = c.call("record.unsubscribe", json!({"subscription_id": "sub-1"})).await;
        assert_eq!(reply["error"], json!({"code": "not_found", "message": "subscription 'sub-1' not found"}));
        assert_eq!(c.err("record.unsubscribe", json!({"subscription_id": "banana"})).await, "not_found");
        assert_eq!(c.err("record.unsubscribe", json!({})).await, "invalid_params");
    })
    .await;
}

pub async fn same_record_twice_is_independent() {
    let fx = fixture();
    let small = fx.records.small;
    small.publish(10);
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.small"})).await;
        c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        small.publish(11);
        let mut seen: Vec<(String, u64, u64)> = Vec::new();
        for _ in 0..3 {
            let e = c.next_event().await;
            seen.push((
                e["subscription_id"].as_str().unwrap().into(),
                e["sequence"].as_u64().unwrap(),
                e["data"].as_u64().unwrap(),
            ));
        }
        seen.sort();
        assert_eq!(seen, [("sub-1".into(), 1, 10), ("sub-1".into(), 2, 11), ("sub-2".into(), 1, 11)]);
        assert_eq!(consumers(small), 2);
    })
    .await;
}

/// Reads events of one subscription until `last` (record-relative sequence)
/// and checks the accounting: every gap is exactly the next `dropped`.
async fn drain_and_check(c: &mut crate::common::Client, last: u64) -> (u64, u64) {
    let (mut delivered, mut dropped_total, mut prev) = (0u64, 0u64, 0u64);
    while prev < last {
        let e: Value = c.next_event().await;
        let seq = e["sequence"].as_u64().unwrap();
        let dropped = e.get("dropped").map_or(0, |d| d.as_u64().unwrap());
        assert!(seq > prev, "sequence went backwards: {prev} then {e}");
        assert_eq!(seq - prev - 1, dropped, "gap without matching dropped: {prev} then {e}");
        assert_eq!(e["data"].as_u64().unwrap(), seq, "value and sequence disagree: {e}");
        delivered += 1;
        dropped_total += dropped;
        prev = seq;
    }
    assert_eq!(prev, delivered + dropped_total);
    (delivered, dropped_total)
}

pub async fn stalled_subscriber_loses_oldest_with_exact_dropped() {
    let fx = fixture();
    let small = fx.records.small;
    // The stalled session's pipe holds only 256 bytes: its writes block soon.
    let (stalled_server, mut stalled) = fx.connect_with(256);
    let (live_server, mut live) = fx.connect();
    let clients = async move {
        stalled.hello().await;
        live.hello().await;
        stalled.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        live.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        // The live subscriber reads every value as it comes; the stalled one
        // reads nothing. Publishing never waits for either.
        for v in 1..=1000u32 {
            small.publish(v);
            let e = live.next_event().await;
            assert_eq!(e["sequence"], v);
            assert!(e.get("dropped").is_none(), "the live subscriber lost data: {e}");
        }
        assert_eq!(small.sequence(), 1000);
        assert!(stalled.unread() <= 256);
        // Now the stalled subscriber reads: old values are gone, and every
        // gap is reported exactly.
        let (delivered, dropped) = drain_and_check(&mut stalled, 1000).await;
        assert!(dropped > 900, "a 4-deep ring behind a 256-byte pipe must drop most: {dropped}");
        Some((delivered, dropped))
        // Both clients are dropped here, which ends both sessions.
    };
    let done = join_all(vec![
        Box::pin(async {
            stalled_server.await;
            None
        }),
        Box::pin(async {
            live_server.await;
            None
        }),
        Box::pin(clients),
    ])
    .await;
    let (delivered, dropped) = done[2].unwrap();
    let stats = fx.server.stats();
    assert_eq!(stats.events_dropped, dropped);
    assert_eq!(stats.events_sent, 1000 + delivered);
}

pub async fn local_subscriber_counts_drops_too() {
    let fx = fixture();
    let small = fx.records.small;
    let mut local = small.subscribe();
    assert_eq!(consumers(small), 1);
    for v in 1..=10 {
        small.publish(v);
    }
    let first = local.recv().await;
    assert_eq!((first.value, first.sequence, first.dropped), (7, 7, 6));
    let next = local.try_recv().unwrap();
    assert_eq!((next.value, next.sequence, next.dropped), (8, 8, 0));
    drop(local);
    assert_eq!(consumers(small), 0);
}

/// A value larger than the reply buffer cannot be sent, but the client hears
/// of it in the same delivery round: an event in its place with
/// `"data":null`, `"skipped":"too_large"` and `dropped` counting it, and
/// `server.stats` counts it at once, even when no later value ever fits.
pub async fn a_value_too_large_to_send_is_reported_at_once() {
    let fx: crate::common::Fixture<4, 1024, 256> = crate::common::Fixture::with_config(aimx::Config::new());
    let note = fx.records.note;
    let big = || heapless::String::<400>::try_from("x".repeat(300).as_str()).unwrap();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.note"})).await;
        for k in 1..=3u64 {
            note.publish_at(big(), Timestamp::from_millis(k * 1_000));
            // The session answers the first ping and delivers in the same
            // step, so any event for the value is queued before the second
            // ping's reply.
            c.ok("ping", json!({})).await;
            c.ok("ping", json!({})).await;
            let event = c.events.pop_front().unwrap_or_else(|| panic!("value {k} was skipped silently"));
            let expected = json!({"subscription_id": "sub-1", "sequence": k, "data": null, "skipped": "too_large",
                "timestamp": format!("{k}.000000000"), "dropped": 1});
            assert_eq!(event["event"], expected);
            let stats = c.ok("server.stats", json!({})).await;
            assert_eq!((stats["events_dropped"].clone(), stats["events_sent"].clone()), (json!(k), json!(0)));
        }
        // A value that fits follows with no gap to report.
        note.publish(heapless::String::try_from("small").unwrap());
        let event = c.next_event().await;
        assert_eq!((event["sequence"].clone(), event["data"].clone()), (json!(4), json!("small")));
        assert!(event.get("dropped").is_none(), "{event}");
    })
    .await;
}

/// A subscriber that reads slowly but keeps reading stays connected long
/// past the write deadline (it is "no progress for 30 s", not "one write
/// took 30 s"), and what it reads is recent: each event is chosen from the
/// ring once the one before it is written, with every skipped value counted
/// in `dropped`.
pub async fn slow_reader_making_progress_stays_and_sees_recent_values() {
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    // 64 bytes: less than one event line fits the pipe.
    let (server, mut c) = fx.connect_with(64);
    let ended = &std::cell::Cell::new(None);
    let server = async { ended.set(Some(server.await)) };
    let client = async move {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        let (mut prev, mut delivered, mut dropped_total) = (0u64, 0u64, 0u64);
        let mut published = 0u64;
        // 120 s (four write deadlines): 10 values a second, one event read
        // every 2 s.
        for second in 1..=120u64 {
            for _ in 0..10 {
                published += 1;
                small.publish(published as u32);
            }
            clock.advance_ms(1_000);
            for _ in 0..4 {
                futures_lite::future::yield_now().await;
            }
            if second % 2 != 0 {
                continue;
            }
            assert_eq!(ended.get(), None, "ended at {second} s");
            let e = c.next_event().await;
            let seq = e["sequence"].as_u64().unwrap();
            let dropped = e.get("dropped").map_or(0, |d| d.as_u64().unwrap());
            assert_eq!(seq - prev - 1, dropped, "gap without matching dropped: {prev} then {e}");
            // Past the first buffer (4 events, chosen before the peer showed
            // itself slow): an event is chosen once the one before is in
            // the pipe, at most two reading intervals (40 values) before it
            // is read. Chosen in a batch of 4, the last would wait 4.
            assert!(second <= 8 || published - seq <= 40, "stale at {second} s: value {seq}, newest {published}");
            delivered += 1;
            dropped_total += dropped;
            prev = seq;
        }
        assert_eq!(ended.get(), None, "ended while the reader was still reading");
        assert_eq!(prev, delivered + dropped_total);
        assert!(dropped_total > 900, "{dropped_total}");
        drop(c);
        Some((delivered, dropped_total))
    };
    let ((), counts) = futures_lite::future::zip(server, client).await;
    let (_, dropped) = counts.unwrap();
    // Closed by the client mid-write, never for want of progress.
    assert!(matches!(ended.get(), Some(SessionEnd::PeerClosed | SessionEnd::WriteError(_))), "{:?}", ended.get());
    assert!(fx.server.stats().events_dropped >= dropped);
}
