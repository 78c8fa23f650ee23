//! The load generator speaking AimX 3.0 to the in-process demo server: over
//! a Unix socket (lines) and TCP (length-prefixed frames), every scenario
//! that applies passes its checks; a run without `--results` writes no file.

#[path = "../../../client/tests/common/mod.rs"]
mod common;

use common::demo::{self, Policy};
use serde_json::Value;

fn loadgen(target: &[&str], tag: &str) -> (bool, Vec<Value>, String) {
    let dir = std::env::temp_dir().join(format!("aimx-loadgen-v3-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let results = dir.join("r.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimx-loadgen"))
        .args(target)
        .args(["--wire", "v3", "--seconds", "0.5", "--count", "300", "--bursts", "1", "--subscribers", "2"])
        .args(["--sessions", "20", "--results", results.to_str().unwrap()])
        .args(["sequential", "pipelined", "sessions", "fanout", "churn"])
        .output()
        .unwrap();
    let rows = std::fs::read_to_string(&results).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    let rows = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), rows, printed)
}

#[test]
fn every_scenario_passes_over_v3_lines_and_length_prefixed_frames() {
    let ep = demo::start(Policy::ReadWrite);
    let unix = ep.unix.display().to_string();
    for (target, tag) in [(["--unix", unix.as_str()], "unix"), (["--tcp", ep.tcp.as_str()], "tcp")] {
        let (ok, rows, printed) = loadgen(&target, tag);
        assert!(ok, "{tag}: {printed}");
        assert_eq!(rows.len(), 5, "{tag}: {printed}");
        let fanout = rows.iter().find(|r| r["scenario"].as_str().is_some_and(|s| s.starts_with("fan-out")));
        let fanout = fanout.unwrap_or_else(|| panic!("{tag}: no fan-out row: {printed}"));
        assert!(fanout["delivered"].as_u64().unwrap() > 0, "{tag}: {fanout}");
    }
}

#[test]
fn a_run_without_results_leaves_no_file_in_its_working_directory() {
    let ep = demo::start(Policy::ReadWrite);
    let dir = std::env::temp_dir().join(format!("aimx-loadgen-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimx-loadgen"))
        .current_dir(&dir)
        .args(["--unix", ep.unix.to_str().unwrap(), "--seconds", "0.2", "sequential"])
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    std::fs::remove_dir_all(&dir).unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("sequential get"), "the table row is still printed: {printed}");
    assert!(left.is_empty(), "files left in the working directory: {left:?}");
}
