//! The `aimx` binary end to end against the in-process demo server over Unix
//! and TCP: every command, every exit code.

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::demo::{self, Endpoint, Policy};
use serde_json::{json, Value};

fn aimx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aimx")).args(args).env_remove("AIMX_TOKEN").output().unwrap()
}

fn unix(ep: &Endpoint) -> Vec<String> {
    vec!["--unix".into(), ep.unix.display().to_string()]
}

fn run(conn: &[String], args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<&str> = conn.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    let out = aimx(&all);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn list_shows_a_table_and_json() {
    let ep = demo::start(Policy::ReadWrite);
    let (rc, out, err) = run(&unix(&ep), &["list"]);
    assert_eq!(rc, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for column in ["NAME", "BUFFER", "CAPACITY", "PRODUCERS", "CONSUMERS", "WRITABLE", "LAST UPDATE"] {
        assert!(lines[0].contains(column), "{out}");
    }
    let temp: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&temp[..6], ["sensor.temperature", "spmc_ring", "16", "1", "0", "no"], "{out}");
    assert!(lines[2].starts_with("config.log_level") && lines[2].contains("yes"), "{out}");
    assert!(lines[3].starts_with("actuator.setpoint") && lines[3].trim_end().ends_with('-'), "{out}");

    let tcp = ["--tcp".to_owned(), ep.tcp.clone()];
    let (rc, out, _) = run(&tcp, &["list", "--json"]);
    assert_eq!(rc, 0);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[1]["name"], "config.log_level");
    assert_eq!(list[1]["buffer_type"], "single_latest");
    assert_eq!(list[0]["type_id"], "Temperature", "unknown fields are kept");
}

#[test]
fn get_and_set_with_their_errors() {
    let ep = demo::start(Policy::ReadWrite);
    let conn = unix(&ep);
    let (rc, out, _) = run(&conn, &["get", "sensor.temperature"]);
    assert_eq!(rc, 0);
    assert!(out.lines().count() > 1, "pretty by default: {out}");
    assert!(serde_json::from_str::<Value>(&out).unwrap()["celsius"].is_number());
    let (_, out, _) = run(&conn, &["get", "sensor.temperature", "--json"]);
    assert_eq!(out.lines().count(), 1, "compact with --json: {out}");

    assert_eq!(run(&conn, &["set", "config.log_level", "debug"]), (0, "\"debug\"\n".into(), String::new()));
    assert_eq!(run(&conn, &["get", "config.log_level"]).1, "\"debug\"\n");
    let (rc, out, _) = run(&conn, &["set", "actuator.setpoint", r#"{"target_celsius":22.5}"#, "--json"]);
    assert_eq!((rc, out.as_str()), (0, "{\"target_celsius\":22.5}\n"));

    let server_error = |args: &[&str], expected: &str| {
        let (rc, out, err) = run(&conn, args);
        assert_eq!((rc, out.as_str(), err.trim_end()), (1, "", expected), "{args:?}");
    };
    server_error(&["get", "x"], "error: not_found: record 'x' not found");
    // The demo's records publish their schema: a wrong shape is refused
    // before sending, naming what is wrong (exit 2, like other usage errors).
    let (rc, _, err) = run(&conn, &["set", "config.log_level", "loud"]);
    assert_eq!(rc, 2);
    assert!(
        err.starts_with(
            r#"error: config.log_level: value: expected one of "info", "debug", "warn", "error", got "loud""#
        ),
        "{err}"
    );
    assert_eq!(run(&conn, &["get", "config.log_level"]).1, "\"debug\"\n", "nothing was sent");
    let (rc, _, err) = run(&conn, &["set", "sensor.temperature", r#"{"celsius":1}"#]);
    assert_eq!(rc, 1);
    assert!(err.starts_with("error: permission_denied: "), "{err}");
    let (rc, _, err) = run(&["--tcp".into(), ep.tcp.clone()], &["get", "actuator.setpoint"]);
    assert_eq!(rc, 0, "{err}");
    let fresh = demo::start(Policy::ReadWrite);
    let (rc, _, err) = run(&unix(&fresh), &["get", "actuator.setpoint"]);
    assert_eq!(rc, 1);
    assert!(err.starts_with("error: no_value: "), "{err}");

    let (rc, _, err) = run(&conn, &["set", "config.log_level", "{broken"]);
    assert_eq!(rc, 2);
    assert!(err.starts_with("error: VALUE is not valid JSON"), "{err}");
}

#[test]
fn schema_is_shown_and_checked_before_set() {
    let ep = demo::start(Policy::ReadWrite);
    let conn = unix(&ep);
    let (rc, out, err) = run(&conn, &["schema", "actuator.setpoint", "--json"]);
    assert_eq!(rc, 0, "{err}");
    let schema: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["fields"][0]["name"], "target_celsius");
    assert_eq!(schema["fields"][0]["unit"], "°C");
    let refused = |value: &str, why: &str| {
        let (rc, _, err) = run(&conn, &["set", "actuator.setpoint", value]);
        assert_eq!(rc, 2, "{value}: {err}");
        assert!(err.contains(why), "{value}: {err}");
    };
    refused(r#"{"target_celsius":"warm"}"#, ".target_celsius: expected a number (f32), got \"warm\"");
    refused(r#"{"target_celsius":80}"#, ".target_celsius: 80 °C is above the maximum 35 °C");
    refused(r#"{"target":20}"#, "unknown member 'target' (known: target_celsius)");
    let (rc, out, err) = run(&conn, &["set", "actuator.setpoint", r#"{"target_celsius":21}"#, "--json"]);
    assert_eq!((rc, out.as_str()), (0, "{\"target_celsius\":21.0}\n"), "{err}");
    let (rc, out, _) = run(&conn, &["schema", "x"]);
    assert_eq!((rc, out.as_str()), (1, ""));
}

#[test]
fn read_only_refuses_set() {
    let ep = demo::start(Policy::ReadOnly);
    let (rc, _, err) = run(&unix(&ep), &["set", "config.log_level", "debug"]);
    assert_eq!(rc, 1);
    assert!(err.starts_with("error: permission_denied: "), "{err}");
}

#[test]
fn watch_counts_and_summarises() {
    let ep = demo::start(Policy::ReadWrite);
    let (rc, out, err) = run(&unix(&ep), &["watch", "sensor.temperature", "--count", "3"]);
    assert_eq!(rc, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (i, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[0].len(), "12:00:00.000".len(), "{line}");
        assert_eq!(fields[1..3], ["sensor.temperature", &format!("#{}", i + 1)], "{line}");
        assert!(fields[3].starts_with("{\"celsius\":"), "{line}");
    }
    assert!(err.starts_with("3 events, 0 dropped in "), "{err}");

    let tcp = ["--tcp".to_owned(), ep.tcp.clone()];
    let (rc, out, _) = run(&tcp, &["watch", "config.log_level", "sensor.temperature", "--count", "4", "--json"]);
    assert_eq!(rc, 0);
    let events: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 4);
    assert!(events.iter().any(|e| e["record"] == "config.log_level" && e["data"] == "info"), "{out}");

    let (rc, _, err) = run(&unix(&ep), &["watch", "sensor.temperature", "nope"]);
    assert_eq!((rc, err.trim_end()), (1, "error: not_found: record 'nope' not found"));
}

#[test]
fn json_errors_are_json_on_stderr() {
    let ep = demo::start(Policy::ReadWrite);
    let (rc, out, err) = run(&unix(&ep), &["get", "nope", "--json"]);
    assert_eq!((rc, out.as_str()), (1, ""));
    let error: Value = serde_json::from_str(err.trim_end()).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"));
    assert_eq!(error["error"]["code"], "not_found", "{err}");
    assert!(error["error"]["message"].as_str().unwrap().contains("nope"), "{err}");

    let missing = demo::socket_path("missing").display().to_string();
    let (rc, _, err) = run(&["--unix".into(), missing], &["list", "--json"]);
    let error: Value = serde_json::from_str(err.trim_end()).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"));
    assert_eq!((rc, &error["error"]["code"]), (3, &json!("connection_error")), "{err}");
}

#[test]
fn watch_stops_cleanly_on_ctrl_c() {
    let ep = demo::start(Policy::ReadWrite);
    let mut child = Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--unix", &ep.unix.display().to_string(), "watch", "sensor.temperature"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..3 {
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("sensor.temperature"), "{line}");
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(" events, 0 dropped in ") && err.contains("events/s)"), "{err}");
}

/// Events with drops, as a server sends them to a slow reader.
fn lossy(request: &Value, out: &mut UnixStream) {
    let id = request["id"].as_u64().unwrap();
    let mut lines = vec![json!({"id": id, "result": {"pong": true}})];
    if request["method"] == "record.subscribe" {
        let ev = |seq: u64, dropped: u64| json!({"event": {"subscription_id": "sub-1", "sequence": seq, "data": seq, "timestamp": "35.250000000", "dropped": dropped}});
        lines = vec![json!({"id": id, "result": {"subscription_id": "sub-1", "queue_size": 4}}), ev(1, 0), ev(14, 12)];
    }
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

#[test]
fn watch_shows_drops_plainly() {
    let path = common::fake::serve(true, lossy);
    let conn = ["--unix".to_owned(), path.display().to_string()];
    let (rc, out, err) = run(&conn, &["watch", "sensor.temperature", "--count", "2"]);
    assert_eq!(rc, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("+35.250s  sensor.temperature  #1"), "{out}");
    assert_eq!(lines[1], "… 12 dropped");
    assert!(lines[2].contains("#14"), "{out}");
    assert!(err.starts_with("2 events, 12 dropped in "), "{err}");
}

#[test]
fn watch_max_rate_coalesces_and_says_so_apart_from_dropped() {
    // The demo publishes sensor.temperature at 50 Hz; asked for 5 Hz, the
    // device sends the latest value every 200 ms and counts the rest.
    let ep = demo::start(Policy::ReadWrite);
    let started = std::time::Instant::now();
    let (rc, out, err) = run(&unix(&ep), &["watch", "sensor.temperature", "--max-rate", "5", "--count", "4", "--json"]);
    // The current value at once, then one per 200 ms (4 values at 50 Hz
    // would take 60 ms).
    assert!(started.elapsed() >= Duration::from_millis(600), "{:?}", started.elapsed());
    assert_eq!(rc, 0, "{err}");
    let events: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 4, "{out}");
    let mut total = 0;
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let gap = b["sequence"].as_u64().unwrap() - a["sequence"].as_u64().unwrap() - 1;
        assert_eq!(gap, b["dropped"].as_u64().unwrap() + b["coalesced"].as_u64().unwrap(), "{b}");
        total += b["coalesced"].as_u64().unwrap();
    }
    assert!(total > 0, "about 9 of every 10 values coalesced: {out}");
    let summary = err.lines().last().unwrap_or_default();
    assert!(summary.starts_with(&format!("4 events, 0 dropped, {total} coalesced in ")), "{err}");

    // A rate the device refuses is its error, with its reason.
    let (rc, _, err) = run(&unix(&ep), &["watch", "sensor.temperature", "--max-rate", "0"]);
    assert_eq!(
        (rc, err.trim_end()),
        (1, "error: invalid_params: max_rate_hz must be a number from 0.0153 to 1000 (65535 to 1 ms between events)")
    );
}

#[test]
fn ping_reports_latency() {
    let ep = demo::start(Policy::ReadWrite);
    let (rc, out, _) = run(&unix(&ep), &["ping", "--count", "5", "--interval", "0"]);
    assert_eq!(rc, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with("pong 1: ") && lines[0].ends_with(" ms"), "{out}");
    for part in ["5 pings: min ", ", median ", ", p99 ", ", max "] {
        assert!(lines[5].contains(part), "{out}");
    }
    let (rc, out, _) = run(&["--tcp".into(), ep.tcp.clone()], &["ping", "--count", "3", "--interval", "1", "--json"]);
    assert_eq!(rc, 0);
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["count"], 3);
    assert!(summary["min_ms"].as_f64().unwrap() <= summary["max_ms"].as_f64().unwrap());
}

#[test]
fn info_shows_the_welcome_and_stats() {
    let ep = demo::start(Policy::ReadWrite);
    let (rc, out, _) = run(&unix(&ep), &["info"]);
    assert_eq!(rc, 0);
    for (key, value) in [
        ("server", "aimx-demo/test"),
        ("permissions", "read, subscribe, write"),
        ("authenticated", "no"),
        ("writable", "config.log_level, actuator.setpoint"),
        ("subscriptions", "at most 4 per session"),
        ("sessions open", "1"),
    ] {
        let line = out.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{key}: {out}"));
        assert_eq!(line[key.len()..].trim(), value, "{out}");
    }
    assert!(out.lines().any(|l| l.starts_with("requests ")), "{out}");
    let (_, out, _) = run(&unix(&ep), &["info", "--json"]);
    let info: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["welcome"]["server"], "aimx-demo/test");
    assert!(info["stats"]["sessions_open"].as_u64().unwrap() >= 1);
}

#[test]
fn tokens_come_from_the_flag_or_the_environment_and_are_never_shown() {
    let ep = demo::start(Policy::Token("s3cret-token"));
    let (rc, _, err) = run(&unix(&ep), &["list"]);
    assert_eq!((rc, err.trim_end()), (3, "error: auth_required: this server requires an auth token"));
    let (rc, _, err) = run(&unix(&ep), &["--token", "wrong-token", "list"]);
    assert_eq!(rc, 3);
    assert!(err.starts_with("error: auth_failed: ") && !err.contains("wrong-token"), "{err}");
    assert_eq!(run(&unix(&ep), &["--token", "s3cret-token", "info"]).0, 0);

    let with_env = |token: &str, args: &[&str]| {
        let mut all = unix(&ep);
        all.extend(args.iter().map(|a| a.to_string()));
        Command::new(env!("CARGO_BIN_EXE_aimx")).args(&all).env("AIMX_TOKEN", token).output().unwrap()
    };
    let out = with_env("s3cret-token", &["info"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.lines().any(|l| l.starts_with("authenticated ") && l.ends_with(" yes")), "{shown}");
    let out = with_env("s3cret-token", &["--help"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"), "--help hides the environment's value");
    let out = with_env("nope-token", &["list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("nope-token"));
}

#[test]
fn connection_failures_exit_3() {
    let missing = demo::socket_path("missing").display().to_string();
    let (rc, _, err) = run(&["--unix".into(), missing], &["list"]);
    assert_eq!(rc, 3);
    assert!(err.starts_with("error: connect to "), "{err}");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    assert_eq!(run(&["--tcp".into(), free], &["list"]).0, 3);
    let silent = common::fake::serve(false, |_, _| {}).display().to_string();
    let (rc, _, err) = run(&["--unix".into(), silent, "--timeout".into(), "0.2".into()], &["list"]);
    assert_eq!(rc, 3);
    assert!(err.contains("timed out"), "{err}");

    let http = common::fake::http();
    let (rc, _, err) = run(&["--tcp".into(), http.clone()], &["list"]);
    assert_eq!(
        (rc, err.trim_end()),
        (3, format!("error: {http} answered `HTTP/1.0 400 Bad Request`, which is not AimX").as_str())
    );
    let mute = common::fake::mute_tcp();
    let (rc, _, err) = run(&["--tcp".into(), mute.clone(), "--timeout".into(), "0.2".into()], &["list"]);
    assert_eq!(rc, 3);
    assert!(err.contains(&format!("the welcome from {mute} (it sent nothing)")), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["list"][..],
        &["--unix", "/tmp/a", "--tcp", "127.0.0.1:1", "list"],
        &["--unix", "/tmp/a"],
        &["--unix", "/tmp/a", "frobnicate"],
        &["--unix", "/tmp/a", "get"],
        &["--unix", "/tmp/a", "watch"],
        &["--unix", "/tmp/a", "ping", "--count", "0"],
        &["--unix", "/tmp/a", "list", "--bogus"],
    ] {
        let out = aimx(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [&[][..], &["list"], &["get"], &["set"], &["schema"], &["watch"], &["ping"], &["info"], &["shell"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = aimx(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text.contains("Example") && text.contains("aimx --"), "{args:?}: {text}");
    }
}

#[test]
fn a_commands_own_options_come_before_the_connection_options() {
    let out = aimx(&["ping", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing: {text}"));
    assert!(at("--count") < at("--interval") && at("--interval") < at("Connection:"), "{text}");
    for connection in ["--unix", "--tcp", "--serial", "--token", "--timeout", "--json"] {
        assert!(at("Connection:") < at(connection), "{connection}: {text}");
    }
}

#[test]
fn watch_ends_with_exit_3_when_the_server_goes_away() {
    let path = common::fake::serve(true, |request, out| {
        let id = request["id"].as_u64().unwrap();
        let _ = writeln!(out, "{}", json!({"id": id, "result": {"subscription_id": "sub-1"}}));
        std::thread::sleep(Duration::from_millis(100));
        let _ = out.shutdown(std::net::Shutdown::Both);
    });
    let (rc, _, err) = run(&["--unix".into(), path.display().to_string()], &["watch", "x"]);
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("0 events, 0 dropped") && err.contains("error: connection closed"), "{err}");
}
