//! `aimx --serial` against the demo server on a pseudo-terminal, including a
//! tool killed mid-subscription and the port reopened.

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::demo::{self, Policy};
use serde_json::Value;

fn aimx(port: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--serial", port, "--baud", "115200"])
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn temperature_consumers(port: &str) -> u64 {
    let (rc, out, err) = aimx(port, &["list", "--json"]);
    assert_eq!(rc, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    list[0]["consumer_count"].as_u64().unwrap()
}

#[test]
fn serial_session_survives_a_killed_tool() {
    let device = common::pty::serve(demo::server(Policy::ReadWrite));
    let port = device.path.as_str();
    assert_eq!(aimx(port, &["set", "config.log_level", "warn"]).0, 0);
    assert_eq!(aimx(port, &["get", "config.log_level"]).1, "\"warn\"\n");

    // Kill a watcher mid-subscription: no unsubscribe, the port just closes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--serial", port, "watch", "sensor.temperature"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("sensor.temperature  #1"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));

    // Reopening restarts the device's session: the orphan subscription is gone.
    assert_eq!(temperature_consumers(port), 0);
    let (rc, out, err) = aimx(port, &["watch", "sensor.temperature", "--count", "3"]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.lines().next().unwrap().contains("#1"), "a fresh subscription: {out}");
    assert_eq!(out.lines().count(), 3);
    assert_eq!(temperature_consumers(port), 0, "watch unsubscribes when it is done");
    let (rc, out, _) = aimx(port, &["ping", "--count", "3", "--interval", "0"]);
    assert_eq!(rc, 0);
    assert!(out.contains("3 pings: min "));
    let (rc, _, err) = aimx(port, &["get", "x"]);
    assert_eq!((rc, err.trim_end()), (1, "error: not_found: record 'x' not found"));
}

#[test]
fn a_missing_port_exits_3() {
    let (rc, _, err) = aimx("/dev/aimx-no-such-port", &["list"]);
    assert_eq!(rc, 3);
    assert!(err.starts_with("error: open /dev/aimx-no-such-port"), "{err}");
}
