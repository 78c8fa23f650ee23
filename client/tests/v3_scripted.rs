//! The client speaking AimX 3.0 to a scripted peer that answers as AimDB's
//! own v3 server does (length-prefixed frames, a `reply` per `req`, no reply
//! to an accepted `sub`, events numbered by `seq` with gaps for drops).

use std::time::Duration;

use aimx_client::{Client, ErrorCode, Framing, Options, Wire};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

async fn read_frame(io: &mut DuplexStream, framing: Framing) -> Option<Value> {
    let bytes = match framing {
        Framing::LengthPrefixed => {
            let mut len = [0u8; 4];
            io.read_exact(&mut len).await.ok()?;
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
            io.read_exact(&mut body).await.ok()?;
            body
        }
        Framing::Lines => {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                io.read_exact(&mut byte).await.ok()?;
                if byte[0] == b'\n' {
                    break line;
                }
                line.push(byte[0]);
            }
        }
    };
    Some(serde_json::from_slice(&bytes).expect("the client sends JSON"))
}

async fn send(io: &mut DuplexStream, framing: Framing, frame: Value) {
    let text = frame.to_string();
    match framing {
        Framing::LengthPrefixed => {
            io.write_all(&(text.len() as u32).to_be_bytes()).await.unwrap();
            io.write_all(text.as_bytes()).await.unwrap();
        }
        // AimDB writes the newline with a second write.
        Framing::Lines => {
            io.write_all(text.as_bytes()).await.unwrap();
            io.write_all(b"\n").await.unwrap();
        }
    }
}

/// Plays the server; returns every frame the client sent.
async fn scripted_server(mut io: DuplexStream, framing: Framing) -> Vec<Value> {
    let mut seen = Vec::new();
    while let Some(frame) = read_frame(&mut io, framing).await {
        seen.push(frame.clone());
        let id = frame["id"].clone();
        let reply = |ok: Value| json!({"t": "reply", "id": id, "ok": ok});
        let err = |code: &str| json!({"t": "reply", "id": id, "err": code});
        match (frame["t"].as_str(), frame["method"].as_str(), frame["topic"].as_str()) {
            (Some("req"), Some("hello"), _) => {
                let welcome = json!({"authenticated": false, "max_subscriptions": 8, "permissions": ["read", "write"],
                    "server": "aimdb", "version": "3.0", "writable_records": ["config.log_level"]});
                send(&mut io, framing, reply(welcome)).await;
            }
            (Some("req"), Some("record.list"), _) => {
                let record = json!({"buffer_type": "single_latest", "consumer_count": 0, "name": "fixture::LogLevel",
                    "origin": "passive", "outbound_connector_count": 0, "producer_count": 0, "record_id": 1,
                    "record_key": "config.log_level", "type_id": "TypeId(0x1)", "writable": true});
                send(&mut io, framing, reply(json!([record]))).await;
            }
            (Some("req"), Some("record.get"), _) if frame["params"]["name"] == "config.log_level" => {
                send(&mut io, framing, reply(json!("info"))).await;
            }
            (Some("req"), _, _) => send(&mut io, framing, err("not_found")).await,
            (Some("sub"), _, Some("sensor.temperature")) => {
                // Accepted without a reply; seq 3 was dropped by the server.
                let sub = id.as_u64().unwrap().to_string();
                for (seq, celsius) in [(1, 20.5), (2, 21.0), (4, 22.0)] {
                    let event = json!({"t": "event", "seq": seq, "sub": sub, "data": {"celsius": celsius}});
                    send(&mut io, framing, event).await;
                }
            }
            (Some("sub"), _, _) => send(&mut io, framing, err("not_found")).await,
            (Some("ping"), _, _) => send(&mut io, framing, json!({"t": "pong"})).await,
            _ => {}
        }
    }
    seen
}

async fn session(framing: Framing) {
    let (near, far) = tokio::io::duplex(4096);
    let server = tokio::spawn(scripted_server(far, framing));
    let (rx, tx) = tokio::io::split(near);
    let options = Options::default().timeout(Duration::from_secs(5)).wire(Wire::V3).framing(framing);
    let client = Client::handshake(rx, tx, options).await.unwrap();
    assert_eq!((client.welcome().version.as_str(), client.welcome().server.as_str()), ("3.0", "aimdb"));
    assert_eq!(client.wire(), Wire::V3);

    let list = client.list().await.unwrap();
    assert_eq!(list[0].name, "config.log_level", "record_key is the name");
    assert_eq!(list[0].extra["type_name"], "fixture::LogLevel");
    assert_eq!(client.get("config.log_level").await.unwrap(), "info");
    let missing = client.get("no.such").await.unwrap_err();
    assert_eq!(missing.code(), Some(&ErrorCode::NotFound));

    let mut sub = client.subscribe("sensor.temperature").await.unwrap();
    assert_eq!(sub.id(), "5", "the sub's request id names it");
    let events: Vec<_> = [sub.next().await.unwrap(), sub.next().await.unwrap(), sub.next().await.unwrap()].into();
    let seen: Vec<(u64, u64)> = events.iter().map(|e| (e.sequence, e.dropped)).collect();
    assert_eq!(seen, [(1, 0), (2, 0), (4, 1)], "a seq gap is counted as dropped");
    let refused = client.subscribe("no.such").await.unwrap_err();
    assert_eq!(refused.code(), Some(&ErrorCode::NotFound));
    client.ping().await.unwrap();
    client.unsubscribe(sub).await.unwrap();
    client.ping().await.unwrap();
    drop(client);

    let sent = server.await.unwrap();
    let kinds: Vec<&str> = sent.iter().map(|f| f["t"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["req", "req", "req", "req", "sub", "ping", "sub", "ping", "ping", "unsub", "ping"]);
    assert_eq!(sent[0]["params"]["version"], "3.0");
    assert_eq!(sent[9], json!({"t": "unsub", "sub": "5"}));
}

#[tokio::test]
async fn speaks_v3_in_length_prefixed_frames() {
    session(Framing::LengthPrefixed).await;
}

#[tokio::test]
async fn speaks_v3_in_lines() {
    session(Framing::Lines).await;
}

#[tokio::test]
async fn a_v3_server_of_another_major_is_refused() {
    let (near, mut far) = tokio::io::duplex(4096);
    tokio::spawn(async move {
        let hello = read_frame(&mut far, Framing::Lines).await.unwrap();
        let welcome = json!({"t": "reply", "id": hello["id"], "ok": {"server": "x", "version": "2.0",
            "permissions": [], "writable_records": []}});
        send(&mut far, Framing::Lines, welcome).await;
        let _ = read_frame(&mut far, Framing::Lines).await;
    });
    let (rx, tx) = tokio::io::split(near);
    let options = Options::default().timeout(Duration::from_secs(5)).wire(Wire::V3).framing(Framing::Lines);
    let error = Client::handshake(rx, tx, options).await.unwrap_err();
    assert!(error.to_string().contains("speaks 2.0"), "{error}");
}
