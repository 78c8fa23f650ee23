//! The idle timeout (`Config::idle_timeout_ms`): a greeted session with no
//! subscription that sends no line for that long is told why and closed; a
//! line of any kind starts the wait again; a subscriber is never idle; the
//! default config never closes a session for idleness.

use aimx::{Config, SessionEnd};
use futures_lite::future::{poll_once, yield_now};
use serde_json::{json, Value};

use crate::common::{fixture, session, Client, Fixture};

const IDLE_MS: u64 = 60_000;

fn idle_fixture() -> Fixture {
    Fixture::with_config(Config::new().read_write().idle_timeout_ms(IDLE_MS))
}

/// Lets the server run, then checks it has sent nothing and not closed.
async fn still_open_and_quiet(c: &mut Client) {
    for _ in 0..8 {
        yield_now().await;
    }
    assert_eq!(poll_once(c.line()).await, None, "the server wrote or closed too early");
}

/// The last line of an idle session: a refusal without id, then the end.
async fn told_idle_then_closed(c: &mut Client) {
    let last: Value = c.json().await;
    assert_eq!(last["error"]["code"], "idle_timeout", "{last}");
    assert!(last.get("id").is_none(), "{last}");
    assert!(last["error"]["message"].as_str().unwrap().contains("60000 ms"), "{last}");
    assert!(c.closed().await);
}

pub async fn idle_session_ends_at_the_deadline_and_not_before() {
    let fx = idle_fixture();
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        clock.advance_ms(IDLE_MS - 1);
        still_open_and_quiet(c).await;
        clock.advance_ms(1);
        told_idle_then_closed(c).await;
    })
    .await;
    assert_eq!(end, SessionEnd::IdleTimeout);
    assert_eq!(fx.server.stats().sessions_idle, 1);
    assert_eq!(end.to_string(), "idle: no request and no subscription for the idle timeout");
}

pub async fn any_line_starts_the_idle_wait_again() {
    let fx = idle_fixture();
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        clock.advance_ms(40_000);
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
        clock.advance_ms(40_000);
        // 80 s since the hello, 40 s since the ping: still there.
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
        clock.advance_ms(40_000);
        // A bad line is a line too: the peer is there.
        c.send("not json").await;
        assert_eq!(c.json().await["error"]["code"], "parse_error");
        clock.advance_ms(IDLE_MS - 1);
        still_open_and_quiet(c).await;
        clock.advance_ms(1);
        told_idle_then_closed(c).await;
    })
    .await;
    assert_eq!(end, SessionEnd::IdleTimeout);
}

pub async fn a_subscriber_is_never_idle() {
    let fx = idle_fixture();
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        // A record that never publishes: no event either, and still it stays.
        let id = c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        for _ in 0..10 {
            clock.advance_ms(IDLE_MS);
            still_open_and_quiet(c).await;
        }
        fx.records.small.publish(7);
        assert_eq!(c.next_event().await["data"], 7);
        // Without its subscription it is idle again, from its last line.
        c.ok("record.unsubscribe", json!({"subscription_id": id["subscription_id"]})).await;
        clock.advance_ms(IDLE_MS - 1);
        still_open_and_quiet(c).await;
        clock.advance_ms(1);
        told_idle_then_closed(c).await;
    })
    .await;
    assert_eq!(end, SessionEnd::IdleTimeout);
}

pub async fn default_config_never_idles() {
    let fx = fixture();
    let clock = fx.clock.clone();
    assert_eq!(fx.server.config().idle_timeout_ms, 0);
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        for _ in 0..24 {
            clock.advance_ms(3_600_000);
            still_open_and_quiet(c).await;
        }
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
    assert_eq!(fx.server.stats().sessions_idle, 0);
}

/// Over separate halves (a UART's Rx and Tx) the idle deadline holds too.
pub async fn idle_over_split_halves() {
    let fx = idle_fixture();
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect_split(), async |c| {
        c.hello().await;
        clock.advance_ms(IDLE_MS / 2);
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
        clock.advance_ms(IDLE_MS - 1);
        still_open_and_quiet(c).await;
        clock.advance_ms(1);
        told_idle_then_closed(c).await;
    })
    .await;
    assert_eq!(end, SessionEnd::IdleTimeout);
}

/// v3, in both framings: a `ping` frame keeps the session; idle, it gets a
/// `reply` without id (`denied`, code `idle_timeout`) and is closed.
#[cfg(feature = "v3")]
pub async fn v3_ping_frames_keep_it_and_idleness_ends_it() {
    use crate::common::{session_v3, V3Framing};
    let fx = idle_fixture();
    let clock = fx.clock.clone();
    for framing in [V3Framing::Ndjson, V3Framing::LengthPrefixed] {
        let (end, ()) = session_v3(fx.connect_v3(framing), async |c| {
            c.hello().await;
            for _ in 0..3 {
                clock.advance_ms(IDLE_MS - 1);
                c.send(&json!({"t": "ping"})).await;
                assert_eq!(c.json().await, json!({"t": "pong"}));
            }
            clock.advance_ms(IDLE_MS - 1);
            for _ in 0..8 {
                yield_now().await;
            }
            assert_eq!(poll_once(c.text()).await, None, "the server wrote or closed too early");
            clock.advance_ms(1);
            let last = c.json().await;
            assert_eq!(
                (&last["t"], &last["err"], &last["code"]),
                (&json!("reply"), &json!("denied"), &json!("idle_timeout"))
            );
            assert!(last.get("id").is_none(), "{last}");
            assert!(c.closed().await);
        })
        .await;
        assert_eq!(end, SessionEnd::IdleTimeout, "{framing:?}");
    }
    assert_eq!(fx.server.stats().sessions_idle, 2);
}
