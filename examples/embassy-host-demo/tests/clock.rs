//! One clock: `ping`, the records' `created_at` and the values' timestamps
//! are all Unix time (they were time-since-start next to Unix time).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

fn seconds(v: &serde_json::Value) -> f64 {
    v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")).parse().unwrap()
}

#[test]
fn ping_created_at_and_values_share_one_clock() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aimx-embassy-host-demo"))
        .args(["--rate-hz", "50"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"version\":\"1.0\"}\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin.write_all(b"{\"id\":1,\"method\":\"ping\"}\n{\"id\":2,\"method\":\"record.list\"}\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let ping = seconds(&lines[1]["result"]["timestamp"]);
    let temperature = &lines[2]["result"][0];
    let stamps = [ping, seconds(&temperature["created_at"]), seconds(&temperature["last_update"])];
    for t in stamps {
        assert!((now - t).abs() < 60.0, "{t} is not Unix time near {now}: {lines:?}");
    }
}
