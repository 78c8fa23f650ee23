//! `aimx --wire v3`: against a peer scripted as AimDB's own v3 server (no
//! `server.stats`, no timestamps on events).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::process::Command;

use serde_json::{json, Value};

/// The socket file, removed when the test ends (CI checks TMPDIR is left clean).
struct Socket(std::path::PathBuf);

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An NDJSON v3 server on a fresh socket, answering as AimDB's.
fn scripted_aimdb() -> Socket {
    let path = std::env::temp_dir().join(format!("aimx-v3-scripted-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let socket = Socket(path);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut out = stream.unwrap();
            let lines = BufReader::new(out.try_clone().unwrap()).lines();
            for line in lines {
                let Ok(frame) = serde_json::from_str::<Value>(&line.unwrap()) else { continue };
                let reply = match (frame["t"].as_str(), frame["method"].as_str()) {
                    (Some("req"), Some("hello")) => json!({"t": "reply", "id": frame["id"], "ok": {
                        "server": "aimdb", "version": "3.0", "permissions": ["read"],
                        "writable_records": [], "max_subscriptions": 8}}),
                    (Some("req"), _) => json!({"t": "reply", "id": frame["id"], "err": "not_found"}),
                    (Some("sub"), _) => {
                        json!({"t": "event", "sub": frame["id"].to_string(), "seq": 1, "data": {"celsius": 20.5}})
                    }
                    (Some("ping"), _) => json!({"t": "pong"}),
                    _ => continue,
                };
                writeln!(out, "{reply}").unwrap();
            }
        }
    });
    socket
}

fn aimx(socket: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--unix", socket.to_str().unwrap(), "--wire", "v3"])
        .args(args)
        .env_remove("AIMX_TOKEN")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn info_and_watch_work_against_a_server_without_stats_or_timestamps() {
    let guard = scripted_aimdb();
    let socket = guard.0.as_path();
    let (rc, out, err) = aimx(socket, &["info"]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("aimdb") && out.contains("3.0") && out.contains("at most 8"), "{out}");

    let (rc, out, err) = aimx(socket, &["watch", "sensor.temperature", "--count", "1"]);
    assert_eq!(rc, 0, "{err}");
    let fields: Vec<&str> = out.split_whitespace().collect();
    // The arrival time stands in for the missing stamp: hh:mm:ss.mmm.
    assert_eq!(fields[0].len(), 12, "{out}");
    assert_eq!(&fields[1..], ["sensor.temperature", "#1", r#"{"celsius":20.5}"#], "{out}");

    let (rc, _, err) = aimx(socket, &["shell"]);
    assert_eq!(rc, 2, "the shell speaks v1 only: {err}");
    assert!(err.contains("v1 only"), "{err}");
}
