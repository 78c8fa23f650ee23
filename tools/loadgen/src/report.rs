//! One table row on stdout and one JSON line in the results file per result.

use std::io::Write;

use serde_json::{json, Value};

use crate::args::Args;

pub const HEADER: &str = "| server | scenario | throughput | latency / time | server CPU | × floor | check |
|---|---|---|---|---|---|---|";

/// A scenario's outcome: the table cells and the full JSON.
pub struct Row {
    pub scenario: String,
    pub throughput: String,
    pub latency: String,
    pub cpu: String,
    pub failures: u64,
    pub note: String,
    pub json: Value,
    /// The figure compared with the floor (lower is better): its name and value.
    pub key: Option<(&'static str, f64)>,
    /// `key` divided by the floor's, when the floor ran the same scenario.
    pub ratio: Option<f64>,
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
            key: None,
            ratio: None,
        }
    }

    /// Sets `ratio` from the floor's row of the same scenario.
    pub fn compare(&mut self, floor: &Row) {
        if let (Some((name, mine)), Some((_, base))) = (self.key, floor.key) {
            if base > 0.0 {
                self.ratio = Some(mine / base);
                self.json["floor"] = json!({"figure": name, "floor": base, "server": mine, "ratio": mine / base});
            }
        }
    }

    /// Prints the row and appends the JSON; returns the failure count.
    pub fn emit(&self, args: &Args) -> u64 {
        let mut json = self.json.clone();
        let check = if self.failures == 0 { "ok".to_owned() } else { format!("FAILED: {}", self.failures) };
        let check = if self.note.is_empty() { check } else { format!("{check} ({})", self.note) };
        let ratio = self.ratio.map_or("-".to_owned(), |r| format!("{r:.2}×"));
        println!(
            "| {} | {} | {} | {} | {} | {ratio} | {check} |",
            args.label, self.scenario, self.throughput, self.latency, self.cpu
        );
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        json["label"] = args.label.clone().into();
        json["scenario"] = self.scenario.clone().into();
        json["failures"] = self.failures.into();
        json["unix_time"] = unix.into();
        if let Some((name, value)) = self.key {
            json["key"] = json!({"figure": name, "value": value});
        }
        if let Some(path) = &args.results {
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{json}"));
            if let Err(e) = appended {
                eprintln!("warning: cannot append to {path}: {e}");
            }
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
