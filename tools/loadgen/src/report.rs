//! One table row on stdout and one JSON line in the results file per result.

use std::io::Write;

use serde_json::{json, Value};

use crate::args::Args;

pub const HEADER: &str =
    "| server | scenario | throughput | latency / time | server CPU | check |\n|---|---|---|---|---|---|";

/// A scenario's outcome: the table cells and the full JSON.
pub struct Row {
    pub scenario: String,
    pub throughput: String,
    pub latency: String,
    pub cpu: String,
    pub failures: u64,
    pub note: String,
    pub json: Value,
}

impl Row {
    pub fn new(scenario: impl Into<String>) -> Row {
        Row {
            scenario: scenario.into(),
            throughput: "-".into(),
            latency: "-".into(),
            cpu: "-".into(),
            failures: 0,
            note: String::new(),
            json: json!({}),
        }
    }

    /// Prints the row and appends the JSON; returns the failure count.
    pub fn emit(mut self, args: &Args) -> u64 {
        let check = if self.failures == 0 { "ok".to_owned() } else { format!("FAILED: {}", self.failures) };
        let check = if self.note.is_empty() { check } else { format!("{check} ({})", self.note) };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            args.label, self.scenario, self.throughput, self.latency, self.cpu, check
        );
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.json["label"] = args.label.clone().into();
        self.json["scenario"] = self.scenario.clone().into();
        self.json["failures"] = self.failures.into();
        self.json["unix_time"] = unix.into();
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&args.results)
            .and_then(|mut f| writeln!(f, "{}", self.json));
        if let Err(e) = appended {
            eprintln!("warning: cannot append to {}: {e}", args.results);
        }
        self.failures
    }
}

/// Microseconds, for latency cells.
pub fn us(d: std::time::Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// The p-th percentile (0..=100) of sorted samples.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    sorted.get(((last as f64) * p / 100.0).round() as usize).copied()
}
