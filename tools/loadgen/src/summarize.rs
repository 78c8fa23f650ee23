//! `aimx-loadgen summarize`: the markdown tables of docs/performance.md (or
//! the README's shorter one) from the JSON lines of several runs, each run
//! in its own file. Every figure is the median over the runs; a ratio is the
//! median of the runs' own ratios (server and floor measured in the same run).

use serde_json::Value;

pub const USAGE: &str = "usage: aimx-loadgen summarize [--readme | --brief LABEL] [--bench FILE] RUN.jsonl...";

/// One run's rows, by label and scenario.
struct Run(Vec<Value>);

impl Run {
    /// The row whose scenario starts with `scenario` (names carry counts).
    fn row(&self, label: &str, scenario: &str) -> Option<&Value> {
        self.0.iter().find(|v| v["label"] == label && v["scenario"].as_str().is_some_and(|s| s.starts_with(scenario)))
    }
}

/// What the table shows for one scenario.
struct Figure {
    scenario: &'static str,
    what: &'static str,
    unit: &'static str,
    digits: usize,
    target: &'static str,
}

const FIGURES: [Figure; 6] = [
    Figure {
        scenario: "sequential get",
        what: "sequential `record.get`, server CPU per request",
        unit: "µs",
        digits: 2,
        target: "≤ 1.10×",
    },
    Figure {
        scenario: "pipelined",
        what: "pipelined 10k `record.get` bursts, server CPU per reply",
        unit: "µs",
        digits: 3,
        target: "≤ 1.5×",
    },
    Figure {
        scenario: "fan-out 1 sub",
        what: "fan-out, 1 subscriber, server CPU per delivered event",
        unit: "µs",
        digits: 2,
        target: "≤ 1.5×",
    },
    Figure {
        scenario: "fan-out 8 subs",
        what: "fan-out, 8 subscribers, server CPU per delivered event",
        unit: "µs",
        digits: 2,
        target: "≤ 1.5×",
    },
    Figure {
        scenario: "fan-out 64 subs",
        what: "fan-out, 64 subscribers, server CPU per delivered event",
        unit: "µs",
        digits: 2,
        target: "≤ 1.5×",
    },
    Figure {
        scenario: "memory",
        what: "RSS per session with 1 subscription",
        unit: "B",
        digits: 0,
        target: "≤ 3,000 B (aimx)",
    },
];

fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(xs[n / 2]),
        _ => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    }
}

fn fmt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn read_lines(path: &str) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{path}: {e}")))
        .collect()
}

pub fn main(mut args: impl Iterator<Item = String>) -> Result<String, String> {
    let (mut readme, mut brief, mut bench, mut files) = (false, None, None, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--readme" => readme = true,
            "--brief" => brief = Some(args.next().ok_or("--brief needs a label")?),
            "--bench" => bench = Some(args.next().ok_or("--bench needs a file")?),
            f if !f.starts_with('-') => files.push(f.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if files.is_empty() {
        return Err(USAGE.into());
    }
    let runs: Vec<Run> = files.iter().map(|f| read_lines(f).map(Run)).collect::<Result<_, _>>()?;
    let bench = bench.map(|b| read_lines(&b)).transpose()?;
    Ok(match (brief, readme) {
        (Some(label), _) => brief_rows(&runs, &label),
        (None, true) => readme_table(&runs),
        (None, false) => docs_tables(&runs, bench.as_deref()),
    })
}

/// The values of `path` (a JSON pointer) in every run's row.
fn each(runs: &[Run], label: &str, scenario: &str, path: &str) -> Vec<f64> {
    runs.iter().filter_map(|r| r.row(label, scenario)?.pointer(path)?.as_f64()).collect()
}

/// A figure with the medians of aimx and the floor, and each run's ratio.
type Compared = (&'static Figure, Option<f64>, Option<f64>, Vec<f64>);

fn floor_rows(runs: &[Run]) -> Vec<Compared> {
    FIGURES
        .iter()
        .map(|f| {
            let aimx = median(each(runs, "aimx", f.scenario, "/key/value"));
            let floor = median(each(runs, "floor", f.scenario, "/key/value"));
            (f, aimx, floor, each(runs, "aimx", f.scenario, "/floor/ratio"))
        })
        .collect()
}

fn docs_tables(runs: &[Run], bench: Option<&[Value]>) -> String {
    let mut s = String::new();
    s += "| figure | aimx | floor | aimx ÷ floor | each run's ratio | target |\n|---|---|---|---|---|---|\n";
    for (f, aimx, floor, ratios) in floor_rows(runs) {
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        s += &format!(
            "| {} | {} {} | {} {} | **{}×** | {} | {} |\n",
            f.what,
            fmt(aimx, f.digits),
            f.unit,
            fmt(floor, f.digits),
            f.unit,
            fmt(median(ratios.clone()), 2),
            each.join(" / "),
            f.target
        );
    }
    s += "\n| scenario | aimx | floor | checks (all runs) |\n|---|---|---|---|\n";
    let both = |scenario: &str, path: &str, unit: &str, digits: usize| {
        let scale = if unit == "MiB" { 1.0 / 1048576.0 } else { 1.0 };
        let a = median(each(runs, "aimx", scenario, path)).map(|x| x * scale);
        let f = median(each(runs, "floor", scenario, path)).map(|x| x * scale);
        (format!("{} {unit}", fmt(a, digits)), format!("{} {unit}", fmt(f, digits)))
    };
    let failures =
        |scenario: &str| -> u64 { runs.iter().filter_map(|r| r.row("aimx", scenario)?["failures"].as_u64()).sum() };
    let (a, f) = both("sequential get", "/requests_per_s", "req/s", 0);
    let (pa, pf) = both("sequential get", "/p50_us", "µs", 0);
    s += &format!(
        "| sequential `record.get`: requests/s, p50 latency | {a}, {pa} | {f}, {pf} | {} failures |\n",
        failures("sequential get")
    );
    let (a, f) = both("pipelined", "/replies_per_s", "replies/s", 0);
    let (ba, bf) = both("pipelined", "/reply_bytes_per_reply", "B/reply", 1);
    s += &format!(
        "| pipelined gets: replies/s, bytes per reply | {a}, {ba} | {f}, {bf} | {} out of order or errors |\n",
        failures("pipelined")
    );
    for n in ["1 sub", "8 subs", "64 subs"] {
        let sc = format!("fan-out {n}");
        let (a, f) = both(&sc, "/events_per_s_per_subscriber", "ev/s", 0);
        let gaps: f64 = each(runs, "aimx", &sc, "/silent_gaps").iter().sum();
        let bytes_a: Vec<f64> = runs.iter().filter_map(|r| per_event_bytes(r.row("aimx", &sc)?)).collect();
        let bytes_f: Vec<f64> = runs.iter().filter_map(|r| per_event_bytes(r.row("floor", &sc)?)).collect();
        s += &format!(
            "| fan-out, {n}: events/s per subscriber, bytes per event | {a}, {} B | {f}, {} B | {gaps} silent gaps, {} failures |\n",
            fmt(median(bytes_a), 1),
            fmt(median(bytes_f), 1),
            failures(&sc)
        );
    }
    let (a, f) = both("memory", "/rss_idle", "MiB", 1);
    s += &format!("| RSS of the idle server | {a} | {f} | |\n");
    let (a, f) = both("memory", "/bytes_per_session", "B", 0);
    s += &format!("| RSS per idle session | {a} | {f} | |\n");
    let (a, f) = both("1000 sessions", "/seconds", "s", 2);
    s += &format!(
        "| 1,000 sessions at once, hello + 10 gets each | {a} | {f} | {} failures |\n",
        failures("1000 sessions")
    );
    if let Some(bench) = bench {
        s += "\n| wire benchmark (criterion) | median time per op | each run | allocations |\n|---|---|---|---|\n";
        let mut names: Vec<&str> = bench.iter().filter_map(|b| b["bench"].as_str()).collect();
        names.dedup();
        let mut seen = Vec::new();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let ns: Vec<f64> =
                bench.iter().filter(|b| b["bench"] == name).filter_map(|b| b["median_ns"].as_f64()).collect();
            let each: Vec<String> = ns.iter().map(|x| format!("{x:.0}")).collect();
            s += &format!(
                "| {name} | **{} ns** | {} ns | 0 (checked) |\n",
                fmt(median(ns.clone()), 0),
                each.join(" / ")
            );
        }
    }
    s
}

fn per_event_bytes(row: &Value) -> Option<f64> {
    Some(row["event_bytes"].as_f64()? / row["delivered"].as_f64()?.max(1.0))
}

/// Table rows without a header for the pipelined and memory figures, the
/// first cell `label` (the buffer-size comparison puts several runs in one table).
fn brief_rows(runs: &[Run], label: &str) -> String {
    let mut s = String::new();
    for (f, aimx, floor, ratios) in floor_rows(runs) {
        if aimx.is_none() || !(f.scenario == "pipelined" || f.scenario == "memory") {
            continue;
        }
        s += &format!(
            "| {label} | {} | {} {} | {} {} | {}× |\n",
            f.what,
            fmt(aimx, f.digits),
            f.unit,
            fmt(floor, f.digits),
            f.unit,
            fmt(median(ratios), 2)
        );
    }
    s
}

fn readme_table(runs: &[Run]) -> String {
    let mut s = String::from("| figure | aimx | do-nothing floor | ratio |\n|---|---|---|---|\n");
    for (f, aimx, floor, ratios) in floor_rows(runs) {
        s += &format!(
            "| {} | {} {} | {} {} | {}× |\n",
            f.what,
            fmt(aimx, f.digits),
            f.unit,
            fmt(floor, f.digits),
            f.unit,
            fmt(median(ratios), 2)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn medians_and_ratios_come_from_the_runs() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let run = |aimx: f64, floor: f64| {
            Run(vec![
                json!({"label": "floor", "scenario": "sequential get", "key": {"value": floor}}),
                json!({"label": "aimx", "scenario": "sequential get", "key": {"value": aimx},
                       "floor": {"ratio": aimx / floor}}),
            ])
        };
        let runs = [run(12.0, 10.0), run(11.0, 10.0), run(30.0, 10.0)];
        let table = docs_tables(&runs, None);
        let line = table.lines().find(|l| l.contains("sequential `record.get`, server")).unwrap();
        assert!(line.contains("| 12.00 µs | 10.00 µs | **1.20×** | 1.20 / 1.10 / 3.00 |"), "{line}");
    }
}
