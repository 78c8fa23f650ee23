//! Rate-limited subscriptions (`max_rate_hz`, `min_interval_ms`): at most
//! one event per interval, the latest value, with `coalesced` counting what
//! the client asked to skip and `dropped` what it lost by being slow.

use aimx::SessionEnd;
use serde_json::{json, Value};

use crate::common::{consumers, fixture, session, Client};

/// Every event the session has to send by now: it answers the first ping
/// and delivers in the same step, so such events come before the second
/// ping's reply.
async fn events_now(c: &mut Client) -> Vec<Value> {
    c.ok("ping", json!({})).await;
    c.ok("ping", json!({})).await;
    c.events.drain(..).map(|e| e["event"].clone()).collect()
}

fn count(event: &Value, name: &str) -> u64 {
    event.get(name).map_or(0, |n| n.as_u64().unwrap())
}

pub async fn values_within_an_interval_coalesce_to_the_latest() {
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub =
            c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false, "max_rate_hz": 10})).await;
        assert_eq!(sub, json!({"subscription_id": "sub-1", "queue_size": 1, "min_interval_ms": 100}));
        // The first value goes out at once.
        small.publish(1);
        let first = c.next_event().await;
        assert_eq!((first["sequence"].clone(), first["data"].clone()), (json!(1), json!(1)));
        assert_eq!((count(&first, "coalesced"), count(&first, "dropped")), (0, 0));
        // 100 more within the interval (25 times the 4-value ring): held.
        for v in 2..=101 {
            small.publish(v);
        }
        assert_eq!(events_now(c).await, Vec::<Value>::new());
        clock.advance_ms(99);
        assert_eq!(events_now(c).await, Vec::<Value>::new());
        // The interval ends: the latest value, with no publish to wake us.
        clock.advance_ms(1);
        let e = c.next_event().await;
        assert_eq!(
            e,
            json!({"subscription_id": "sub-1", "sequence": 101, "data": 101, "timestamp": e["timestamp"],
                "coalesced": 99})
        );
        let stats = c.ok("server.stats", json!({})).await;
        assert_eq!(
            (stats["events_sent"].clone(), stats["events_coalesced"].clone(), stats["events_dropped"].clone()),
            (json!(2), json!(99), json!(0))
        );
    })
    .await;
}

pub async fn the_initial_value_and_a_value_after_quiet_go_out_at_once() {
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    small.publish(7);
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "test.small", "min_interval_ms": 500})).await;
        assert_eq!(sub["min_interval_ms"], 500);
        // The current value is not delayed.
        assert_eq!(events_now(c).await.iter().map(|e| e["data"].clone()).collect::<Vec<_>>(), [json!(7)]);
        // One value within the interval is held, then sent when it ends,
        // with nothing skipped.
        small.publish(8);
        clock.advance_ms(499);
        assert_eq!(events_now(c).await, Vec::<Value>::new());
        clock.advance_ms(1);
        let e = c.next_event().await;
        assert_eq!((e["sequence"].clone(), e["data"].clone()), (json!(2), json!(8)));
        assert!(e.get("coalesced").is_none() && e.get("dropped").is_none(), "{e}");
        // After a quiet period a lone value goes out at once, the clock
        // standing still.
        clock.advance_ms(10_000);
        assert_eq!(events_now(c).await, Vec::<Value>::new());
        small.publish(9);
        let events = events_now(c).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!((events[0]["sequence"].clone(), events[0]["data"].clone()), (json!(3), json!(9)));
        assert!(events[0].get("coalesced").is_none() && events[0].get("dropped").is_none());
        // Unpaced subscriptions of the same session are not held back.
        c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        small.publish(10);
        small.publish(11);
        let events = events_now(c).await;
        let sub2: Vec<_> =
            events.iter().filter(|e| e["subscription_id"] == "sub-2").map(|e| e["data"].clone()).collect();
        assert_eq!(sub2, [json!(10), json!(11)]);
        assert!(events.iter().all(|e| e["subscription_id"] == "sub-2"), "sub-1 sent within its interval: {events:?}");
    })
    .await;
}

pub async fn bad_rate_params_are_refused_and_nothing_subscribed() {
    let fx = fixture();
    let small = fx.records.small;
    session(fx.connect(), async |c| {
        c.hello().await;
        let rate = "max_rate_hz must be a number from 0.0153 to 1000 (65535 to 1 ms between events)";
        let interval = "min_interval_ms must be a whole number from 1 to 65535";
        let refused = [
            (json!({"max_rate_hz": 0}), rate),
            (json!({"max_rate_hz": -2.5}), rate),
            (json!({"max_rate_hz": 5000}), rate),
            (json!({"max_rate_hz": 0.001}), rate),
            (json!({"min_interval_ms": 0}), interval),
            (json!({"min_interval_ms": -100}), interval),
            (json!({"min_interval_ms": 2.5}), interval),
            (json!({"min_interval_ms": 100000}), interval),
            (
                json!({"max_rate_hz": 10, "min_interval_ms": 50}),
                "max_rate_hz and min_interval_ms disagree (give one of them)",
            ),
        ];
        for (mut params, message) in refused {
            params["name"] = json!("test.small");
            let reply = c.call("record.subscribe", params.clone()).await;
            assert_eq!(reply["error"], json!({"code": "invalid_params", "message": message}), "{params}");
        }
        assert_eq!(
            c.err("record.subscribe", json!({"name": "test.small", "max_rate_hz": "10"})).await,
            "invalid_params"
        );
        assert_eq!(consumers(small), 0, "a refused subscription left a consumer");
        // Both forms agreeing are fine; the session goes on and the first
        // subscription made is sub-1.
        let sub =
            c.ok("record.subscribe", json!({"name": "test.small", "max_rate_hz": 0.5, "min_interval_ms": 2000})).await;
        assert_eq!((sub["subscription_id"].clone(), sub["min_interval_ms"].clone()), (json!("sub-1"), json!(2000)));
    })
    .await;
}

/// Two subscribers at 10 Hz to a record published at 50 Hz: one reads
/// everything, one reads an event every 2 s through a pipe that holds less
/// than one. The fast one loses nothing and skips 4 of 5 values by choice;
/// the slow one is owed an event every 100 ms and gets one every 2 s, and
/// its `dropped` says so, apart from what it skipped by choice.
pub async fn a_slow_reader_at_a_rate_limit_sees_dropped_apart_from_coalesced() {
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    let (slow_server, mut slow) = fx.connect_with(64);
    let (fast_server, mut fast) = fx.connect();
    let clients = async move {
        for c in [&mut slow, &mut fast] {
            c.hello().await;
            c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false, "max_rate_hz": 10})).await;
        }
        let (mut slow_prev, mut fast_prev) = (0u64, 0u64);
        let mut slow_events = Vec::new();
        let mut fast_totals = (0u64, 0u64);
        for step in 1..=1_500u32 {
            small.publish(step);
            clock.advance_ms(20);
            for _ in 0..4 {
                futures_lite::future::yield_now().await;
            }
            while let Some(e) = fast.events.pop_front() {
                let e = &e["event"];
                let seq = e["sequence"].as_u64().unwrap();
                assert_eq!(seq - fast_prev - 1, count(e, "dropped") + count(e, "coalesced"), "{e}");
                assert_eq!(count(e, "dropped"), 0, "the fast reader lost a value: {e}");
                fast_totals.0 += 1;
                fast_totals.1 += count(e, "coalesced");
                fast_prev = seq;
            }
            fast.ok("ping", json!({})).await;
            if step % 100 == 0 {
                let e = slow.next_event().await;
                let seq = e["sequence"].as_u64().unwrap();
                let (dropped, coalesced) = (count(&e, "dropped"), count(&e, "coalesced"));
                assert_eq!(seq - slow_prev - 1, dropped + coalesced, "gap not accounted for: {slow_prev} then {e}");
                slow_events.push((dropped, coalesced));
                slow_prev = seq;
            }
        }
        drop(slow);
        drop(fast);
        Some((slow_events, fast_totals))
    };
    let done = crate::common::join_all(vec![
        Box::pin(async {
            slow_server.await;
            None
        }),
        Box::pin(async {
            fast_server.await;
            None
        }),
        Box::pin(clients),
    ])
    .await;
    let (slow_events, (fast_events, fast_coalesced)) = done[2].clone().unwrap();
    // The fast reader: one event per 100 ms (30 s), 4 of every 5 values
    // coalesced.
    assert!((295..=301).contains(&fast_events), "{fast_events}");
    assert!((1_180..=1_200).contains(&fast_coalesced), "{fast_coalesced}");
    // The slow reader, past its first events: an event standing for k
    // intervals (5k values) has k - 1 of them missed, give or take one.
    for &(dropped, coalesced) in &slow_events[2..] {
        let intervals = (dropped + coalesced + 1) / 5;
        assert!(dropped.abs_diff(intervals - 1) <= 1, "{dropped} dropped of {intervals} intervals: {slow_events:?}");
    }
    let slow_dropped: u64 = slow_events.iter().map(|e| e.0).sum();
    assert!(slow_dropped > 200, "{slow_events:?}");
    let stats = fx.server.stats();
    // The slow session went on sending after its last read.
    assert!(stats.events_dropped >= slow_dropped);
    assert!(stats.events_coalesced >= fast_coalesced + slow_events.iter().map(|e| e.1).sum::<u64>());
}

pub async fn rate_limits_over_split_halves() {
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect_split(), async |c| {
        c.hello().await;
        c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false, "min_interval_ms": 40})).await;
        small.publish(1);
        assert_eq!(c.next_event().await["data"], 1);
        for v in 2..=5 {
            small.publish(v);
        }
        assert_eq!(events_now(c).await, Vec::<Value>::new());
        clock.advance_ms(40);
        let e = c.next_event().await;
        assert_eq!((e["data"].clone(), count(&e, "coalesced"), count(&e, "dropped")), (json!(5), 3, 0));
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
}

/// A v3 `sub` frame carries the same optional members; its events carry
/// `coalesced` as v1's do (v3 clients ignore members they do not know).
#[cfg(feature = "v3")]
pub async fn a_v3_sub_takes_the_same_rate_limit() {
    use crate::common::{session_v3, V3Framing};
    let fx = fixture();
    let small = fx.records.small;
    let clock = fx.clock.clone();
    small.publish(1);
    session_v3(fx.connect_v3(V3Framing::Ndjson), async |c| {
        c.hello().await;
        c.send(&json!({"t": "sub", "id": 5, "topic": "test.small", "max_rate_hz": 0})).await;
        let reply = c.reply(5).await;
        assert_eq!(reply["code"], "invalid_params", "{reply}");
        c.send(&json!({"t": "sub", "id": 6, "topic": "test.small", "min_interval_ms": 250})).await;
        // The current value at once; the next ones held for the interval.
        let e = c.next_update().await;
        assert_eq!((&e["sub"], &e["seq"], &e["data"]), (&json!("6"), &json!(1), &json!(1)));
        for v in 2..=6 {
            small.publish(v);
        }
        c.send(&json!({"t": "ping"})).await;
        assert_eq!(c.json().await, json!({"t": "pong"}));
        clock.advance_ms(250);
        let e = c.next_update().await;
        assert_eq!((&e["seq"], &e["data"], &e["coalesced"]), (&json!(6), &json!(6), &json!(4)));
        assert!(e.get("dropped").is_none(), "{e}");
    })
    .await;
}
