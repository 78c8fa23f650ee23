//! Hello forms, versions, tokens, policies, restarts and the handshake deadline.

use aimx::wire::ErrorCode;
use aimx::{Config, SessionEnd, Token};
use serde_json::json;

use crate::common::{consumers, fixture, session, Fixture};

pub async fn flat_hello_gets_the_full_welcome() {
    let fx = fixture();
    let (end, welcome) = session(fx.connect(), async |c| c.hello().await).await;
    assert_eq!(
        welcome,
        json!({
            "version": "1.0",
            "server": concat!("aimx/", env!("CARGO_PKG_VERSION")),
            "permissions": ["read", "subscribe", "write"],
            "writable_records": ["config.log_level", "actuator.setpoint", "test.note"],
            "max_subscriptions": 4,
            "authenticated": false
        })
    );
    assert_eq!(end, SessionEnd::PeerClosed);
}

pub async fn nested_hello_and_compatible_versions() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        for version in ["1", "1.0", "1.9"] {
            let hello =
                json!({"hello": {"version": version, "client": "aimdb-cli", "capabilities": ["read"], "extra": 1}});
            c.send(&hello.to_string()).await;
            let welcome = c.json().await;
            assert_eq!(welcome["version"], "1.0", "{version}");
            assert_eq!(welcome["max_subscriptions"], 4);
        }
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
}

pub async fn version_mismatch_is_refused_and_closed() {
    let fx = fixture();
    let (end, ()) = session(fx.connect(), async |c| {
        c.send(r#"{"version":"2.0","client":"future"}"#).await;
        assert_eq!(
            c.json().await,
            json!({"error": {"code": "version_mismatch", "message": "server speaks 1.x, client asked for 2.0"}})
        );
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::VersionMismatch));
}

pub async fn request_before_hello_is_refused() {
    let fx = fixture();
    let (end, ()) = session(fx.connect(), async |c| {
        c.send(r#"{"id":1,"method":"record.list"}"#).await;
        assert_eq!(c.json().await, json!({"error": {"code": "protocol_error", "message": "expected hello"}}));
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::ProtocolError));
}

pub async fn garbage_before_hello_is_answered_and_hello_still_works() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        // Line noise on a serial port before the host tool says hello.
        c.send_raw(b"\x00\xff garbage\n{\"id\":\n").await;
        assert_eq!(c.json().await["error"]["code"], "parse_error");
        assert_eq!(c.json().await["error"]["code"], "parse_error");
        assert_eq!(c.hello().await["version"], "1.0");
    })
    .await;
}

pub async fn token_required_missing_wrong_and_right() {
    let fx: Fixture = Fixture::with_config(Config::new().read_write().token(Token::new("s3cret")));
    let (end, ()) = session(fx.connect(), async |c| {
        c.send(r#"{"version":"1.0","client":"x"}"#).await;
        assert_eq!(
            c.json().await,
            json!({"error": {"code": "auth_required", "message": "this server requires an auth token"}})
        );
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::AuthRequired));

    for wrong in ["s3cre", "s3cret!", "S3CRET", ""] {
        let (end, ()) = session(fx.connect(), async |c| {
            c.send(&json!({"hello": {"version": "1.0", "auth_token": wrong}}).to_string()).await;
            assert_eq!(c.json().await, json!({"error": {"code": "auth_failed", "message": "invalid auth token"}}));
            assert!(c.closed().await);
        })
        .await;
        assert_eq!(end, SessionEnd::Refused(ErrorCode::AuthFailed), "{wrong}");
    }
    // Every refused hello is counted, for `server.stats`.
    assert_eq!(fx.server.stats().auth_failures, 5);

    session(fx.connect(), async |c| {
        // The flat form may carry the token too, and escapes decode.
        c.send(r#"{"version":"1.0","auth_token":"s\u0033cret"}"#).await;
        let welcome = c.json().await;
        assert_eq!(welcome["authenticated"], true, "{welcome}");
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
}

pub async fn read_only_policy() {
    let fx: Fixture = Fixture::with_config(Config::new());
    session(fx.connect(), async |c| {
        let welcome = c.hello().await;
        assert_eq!(welcome["permissions"], json!(["read", "subscribe"]));
        assert_eq!(welcome["writable_records"], json!([]));
        let reply = c.call("record.set", json!({"name": "config.log_level", "value": "debug"})).await;
        assert_eq!(reply["error"]["code"], "permission_denied");
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "info");
        // Reading and subscribing still work.
        assert!(c.ok("record.subscribe", json!({"name": "config.log_level"})).await["subscription_id"].is_string());
    })
    .await;
}

pub async fn hello_at_any_time_restarts_the_session() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        assert_eq!(sub["subscription_id"], "sub-1");
        assert_eq!(consumers(fx.records.small), 1);
        // The host tool closed and reopened the serial port: a new hello.
        let welcome = c.hello().await;
        assert_eq!(welcome["version"], "1.0");
        assert_eq!(consumers(fx.records.small), 0);
        fx.records.small.publish(7);
        // The old subscription is gone: the next line is the ping reply.
        let reply = c.call("ping", json!({})).await;
        assert!(c.events.is_empty(), "event of an ended subscription: {:?}", c.events);
        assert_eq!(reply["result"]["pong"], true);
        // Subscription ids start again for the new session.
        let sub = c.ok("record.subscribe", json!({"name": "test.small"})).await;
        assert_eq!(sub["subscription_id"], "sub-1");
        assert_eq!(c.next_event().await["data"], 7);
    })
    .await;
}

pub async fn handshake_deadline_closes_a_silent_peer() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let (end, ()) = session(fx.connect(), async |c| {
        clock.advance_ms(9_999);
        clock.advance_ms(1);
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::HandshakeTimeout);

    // A peer that did say hello is not subject to it.
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        clock.advance_ms(60_000);
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
}

/// Deadlines are points on the monotonic clock: a wall clock set back an
/// hour neither fires the handshake deadline early nor, set forward, late.
pub async fn wall_clock_steps_do_not_move_the_handshake_deadline() {
    let fx = fixture();
    let clock = fx.clock.clone();
    clock.step_wall_ms(-3_600_000);
    let (end, ()) = session(fx.connect(), async |c| {
        clock.advance_ms(9_000);
        clock.step_wall_ms(7_200_000);
        futures_lite::future::yield_now().await;
        assert_eq!(c.hello().await["version"], "1.0");
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);

    let (end, ()) = session(fx.connect(), async |c| {
        clock.step_wall_ms(-7_200_000);
        clock.advance_ms(10_000);
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::HandshakeTimeout);
}

/// The hello deadline is absolute: a peer that sends junk and never reads
/// leaves the session blocked writing error replies, and the deadline still
/// ends it (the write deadline alone would hold it three times as long).
pub async fn handshake_deadline_holds_while_blocked_writing() {
    let fx = fixture();
    let clock = fx.clock.clone();
    let (server, mut c) = fx.connect_with(64);
    let ended = std::cell::Cell::new(None);
    let server = async { ended.set(Some(server.await)) };
    let client = async {
        // Three bad lines: their replies overflow the 64-byte pipe, and the
        // client reads none of them.
        c.send_raw(b"x\nx\nx\n").await;
        for _ in 0..20 {
            futures_lite::future::yield_now().await;
        }
        assert_eq!(ended.get(), None, "ended before the deadline");
        clock.advance_ms(9_999);
        futures_lite::future::yield_now().await;
        assert_eq!(ended.get(), None, "ended before the deadline");
        clock.advance_ms(1);
        for _ in 0..20 {
            futures_lite::future::yield_now().await;
        }
        assert_eq!(ended.get(), Some(SessionEnd::HandshakeTimeout), "still open at the hello deadline");
        // What was written is whole error lines up to where the write was cut.
        assert!(c.drain_to_end().await <= 64 + 3 * 120);
    };
    futures_lite::future::zip(server, client).await;
}

/// Bad lines before a hello get at most 8 answers; the next one ends the
/// session with a last line that says why.
pub async fn bad_lines_before_hello_are_bounded() {
    let fx = fixture();
    let (end, ()) = session(fx.connect(), async |c| {
        for _ in 0..20 {
            c.send_raw(b"x\n").await;
        }
        for _ in 0..8 {
            assert_eq!(c.json().await["error"]["code"], "parse_error");
        }
        let last = c.json().await;
        assert_eq!(last, json!({"error": {"code": "protocol_error", "message": "too many bad lines before hello"}}));
        assert!(c.closed().await);
    })
    .await;
    assert_eq!(end, SessionEnd::Refused(ErrorCode::ProtocolError));
    assert_eq!(fx.server.stats().parse_errors, 9);

    // Once greeted, bad lines are answered without a bound.
    let (end, ()) = session(fx.connect(), async |c| {
        c.hello().await;
        for _ in 0..20 {
            c.send_raw(b"x\n").await;
            assert_eq!(c.json().await["error"]["code"], "parse_error");
        }
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
    assert_eq!(end, SessionEnd::PeerClosed);
}
