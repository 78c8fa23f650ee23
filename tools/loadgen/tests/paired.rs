//! With a floor beside the server, the CPU-per-operation scenarios alternate
//! between the two: every slice (a burst for pipelined) runs on each, and
//! each server's row sums its own slices. Two in-process demo servers stand
//! in for the server and the floor (the floor's rows only skip the id
//! checks, so a real server passes them too).

#[path = "../../../client/tests/common/mod.rs"]
mod common;

use common::demo::{self, Policy};
use serde_json::Value;

#[test]
fn sequential_pipelined_and_fanout_alternate_in_slices_summed_per_server() {
    let (server, floor) = (demo::start(Policy::ReadWrite), demo::start(Policy::ReadWrite));
    let dir = std::env::temp_dir().join(format!("aimx-loadgen-paired-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let results = dir.join("r.jsonl");
    // Both servers run in this process: its CPU time stands in for each
    // server's, enough for a ratio to be computed (not to mean anything).
    let pid = std::process::id().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimx-loadgen"))
        .args(["--unix", server.unix.to_str().unwrap(), "--floor-unix", floor.unix.to_str().unwrap()])
        .args(["--server-pid", &pid, "--floor-pid", &pid])
        .args(["--seconds", "0.6", "--slices", "3", "--count", "200", "--bursts", "2", "--subscribers", "2"])
        .args(["--results", results.to_str().unwrap(), "sequential", "pipelined", "fanout"])
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&results).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let row = |label: &str, scenario: &str| {
        rows.iter()
            .find(|r| r["label"] == label && r["scenario"].as_str().is_some_and(|s| s.starts_with(scenario)))
            .unwrap_or_else(|| panic!("no {label} {scenario} row: {printed}"))
            .clone()
    };
    assert_eq!(rows.len(), 6, "a floor row and a server row per scenario: {printed}");
    for label in ["floor", "aimx"] {
        let seq = row(label, "sequential");
        assert_eq!(seq["slices"], 3, "{seq}");
        assert!(seq["requests"].as_u64().unwrap() > 0 && seq["server_cpu_s"].as_f64().is_some(), "{seq}");
        // About 0.2 s per slice, three slices: the time on each server adds up.
        let seconds = seq["seconds"].as_f64().unwrap();
        assert!((0.55..5.0).contains(&seconds), "{seq}");
        let pipelined = row(label, "pipelined");
        assert_eq!((pipelined["bursts"].as_u64(), pipelined["requests"].as_u64()), (Some(2), Some(400)), "{pipelined}");
        let fanout = row(label, "fan-out 2 subs");
        assert_eq!(fanout["slices"], 3, "{fanout}");
        // Fresh subscribers in every slice, each one's accounting checked.
        assert_eq!(fanout["per_subscriber"].as_array().unwrap().len(), 2 * 3, "{fanout}");
        assert_eq!((fanout["failures"].as_u64(), fanout["silent_gaps"].as_u64()), (Some(0), Some(0)), "{fanout}");
        assert!(fanout["delivered"].as_u64().unwrap() > 0, "{fanout}");
    }
    for scenario in ["sequential", "pipelined", "fan-out 2 subs"] {
        let r = row("aimx", scenario);
        assert!(r["floor"]["ratio"].as_f64().is_some_and(|x| x > 0.0), "the server's row compares: {r}");
    }
}
