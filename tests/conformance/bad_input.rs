//! Malformed input of every kind: a clear error, and the session goes on.

use serde_json::json;

use crate::common::{fixture, session};

pub async fn parse_errors_keep_the_session() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let cases: [(&[u8], &str); 8] = [
            (b"{\"id\":1,\"method\":\"ping\"", "parse_error"),
            (b"\xc3\x28 not utf-8", "parse_error"),
            (b"{\"id\":1,\"method\":\"ping\"} trailing", "parse_error"),
            (b"[1,2,3]", "protocol_error"),
            (b"\"just a string\"", "protocol_error"),
            (b"42", "protocol_error"),
            (b"{\"id\":\"seven\",\"method\":\"ping\"}", "protocol_error"),
            (b"{\"method\":\"ping\"}", "protocol_error"),
        ];
        for (line, code) in cases {
            c.send_raw(&[line, b"\n"].concat()).await;
            let reply = c.json().await;
            assert_eq!(reply["id"], 0, "{reply}");
            assert_eq!(reply["error"]["code"], code, "{:?}: {reply}", String::from_utf8_lossy(line));
            assert!(reply["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        // A readable id is echoed even when the rest is wrong.
        c.send(r#"{"id":9,"method":42}"#).await;
        assert_eq!(
            c.json().await,
            json!({"id": 9, "error": {"code": "method_not_found", "message": "unknown method"}})
        );
        c.send(r#"{"id":10}"#).await;
        assert_eq!(c.json().await["error"]["code"], "protocol_error");
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
        assert_eq!(fx.server.stats().parse_errors, 10);
    })
    .await;
}

pub async fn over_long_lines_are_skipped() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        // 100 KiB in one line: never buffered whole.
        let long = format!(r#"{{"id":1,"method":"record.get","params":{{"name":"{}"}}}}"#, "a".repeat(100_000));
        c.send(&long).await;
        assert_eq!(
            c.json().await,
            json!({"id": 0, "error": {"code": "line_too_long", "message": "line longer than 1023 bytes"}})
        );
        // Exactly at the limit still works: 1023 bytes + newline.
        let pad = 1023 - r#"{"id":2,"method":"ping","params":{"p":""}}"#.len();
        let at_limit = format!(r#"{{"id":2,"method":"ping","params":{{"p":"{}"}}}}"#, "x".repeat(pad));
        assert_eq!(at_limit.len(), 1023);
        c.send(&at_limit).await;
        assert_eq!(c.reply(2).await["result"]["pong"], true);
        let over = format!(r#"{{"id":3,"method":"ping","params":{{"p":"{}"}}}}"#, "x".repeat(pad + 1));
        c.send(&over).await;
        assert_eq!(c.json().await["error"]["code"], "line_too_long");
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
}

pub async fn crlf_blank_lines_and_byte_by_byte() {
    let fx = fixture();
    let (server, client) = fx.connect();
    session((server, client.chunked(1)), async |c| {
        c.send_raw(b"\r\n\n{\"version\":\"1.0\"}\r\n").await;
        assert_eq!(c.json().await["version"], "1.0");
        c.send_raw(b"\n  \n{\"id\":5,\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\r\n").await;
        assert_eq!(c.json().await, json!({"id": 5, "result": "info"}));
        c.send_raw(b"{\"id\":6,\"method\":\"ping\"}\n{\"id\":7,\"method\":\"ping\"}\n").await;
        assert_eq!(c.json().await["id"], 6);
        assert_eq!(c.json().await["id"], 7);
    })
    .await;
}

pub async fn bad_input_never_corrupts_stored_values() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.set", json!({"name": "config.log_level", "value": "warn"})).await;
        let garbage: [&[u8]; 6] = [
            b"{\"id\":1,\"method\":\"record.set\",\"params\":{\"name\":\"config.log_level\",\"value\":\"err",
            b"{\"id\":2,\"method\":\"record.set\",\"params\":{\"name\":\"config.log_level\",\"value\":[\"error\"]}}",
            b"{\"id\":3,\"method\":\"record.set\",\"params\":{\"name\":\"config.log_level\",\"value\":\"\\ud800\"}}",
            b"{\"id\":4,\"method\":\"record.set\",\"params\":{\"name\":\"config.log_level\",\"value\":\"ERROR\"}}",
            b"\xff\xff\xff",
            b"{\"id\":5,\"method\":\"record.set\",\"params\":{\"name\":\"config.log_level\",\"value\":{\"warn\":1}}}",
        ];
        for line in garbage {
            c.send_raw(&[line, b"\n"].concat()).await;
            let reply = c.json().await;
            assert!(reply.get("error").is_some(), "{reply}");
        }
        assert_eq!(c.ok("record.get", json!({"name": "config.log_level"})).await, "warn");
        assert_eq!(fx.records.log_level.sequence(), 2);
    })
    .await;
}

pub async fn deep_nesting_is_refused_without_recursion() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let deep = format!(
            r#"{{"id":1,"method":"record.set","params":{{"name":"test.note","value":{}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        c.send(&deep).await;
        let reply = c.json().await;
        assert_eq!(reply["error"]["code"], "parse_error", "{reply}");
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
    })
    .await;
}
