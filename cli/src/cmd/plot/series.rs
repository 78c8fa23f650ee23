//! The data behind `watch --plot`: one series per numeric field, points in
//! device time, broken into segments where values were lost.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

/// Every numeric leaf of a value, named by its path: `celsius` for
/// `{"celsius":21.5}`, `""` for a bare number, `a.b` for nested objects.
pub fn numeric_fields(value: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, path: String, out: &mut Vec<(String, f64)>) {
    match value {
        Value::Number(n) => out.extend(n.as_f64().map(|v| (path, v))),
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(inner, path, out);
            }
        }
        _ => {}
    }
}

/// One plotted field: points `(device seconds, value)` in order; each
/// segment is a run with nothing lost in between.
#[derive(Default)]
pub struct Series {
    pub segments: VecDeque<Vec<(f64, f64)>>,
    pub last: Option<f64>,
}

impl Series {
    fn push(&mut self, t: f64, v: f64, gap: bool) {
        if gap || self.segments.is_empty() {
            self.segments.push_back(Vec::new());
        }
        if let Some(segment) = self.segments.back_mut() {
            segment.push((t, v));
        }
        self.last = Some(v);
    }

    /// Forgets points older than `oldest`.
    fn trim(&mut self, oldest: f64) {
        while self.segments.front().is_some_and(|s| s.last().is_none_or(|p| p.0 < oldest)) {
            self.segments.pop_front();
        }
        if let Some(front) = self.segments.front_mut() {
            let keep_from = front.partition_point(|p| p.0 < oldest);
            front.drain(..keep_from);
        }
    }

    #[cfg(test)]
    pub fn points(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }
}

/// All series of the watched records, keyed `record` or `record.field`.
pub struct Plot {
    pub series: BTreeMap<String, Series>,
    /// Seconds of device time shown.
    pub window: f64,
    /// The newest device timestamp seen.
    pub now: Option<f64>,
}

impl Plot {
    pub fn new(window: f64) -> Self {
        Plot { series: BTreeMap::new(), window, now: None }
    }

    /// Adds one event. `gap`: values were lost just before it.
    pub fn add(&mut self, record: &str, t: f64, data: &Value, gap: bool) {
        for (path, v) in numeric_fields(data) {
            let key = if path.is_empty() { record.to_owned() } else { format!("{record}.{path}") };
            self.series.entry(key).or_default().push(t, v, gap);
        }
        let now = self.now.map_or(t, |n| n.max(t));
        self.now = Some(now);
        for series in self.series.values_mut() {
            series.trim(now - self.window);
        }
    }

    /// The smallest and largest value shown, padded so lines never sit on
    /// the frame.
    pub fn y_bounds(&self) -> [f64; 2] {
        let values = self.series.values().flat_map(|s| s.segments.iter().flatten().map(|p| p.1));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            return [0.0, 1.0];
        }
        let pad = ((hi - lo) * 0.05).max(0.5);
        [lo - pad, hi + pad]
    }
}

/// At most two points (the lowest and the highest) per column of `columns`
/// across `[from, to]`, in time order: what a chart that wide can show.
pub fn decimate(points: &[(f64, f64)], from: f64, to: f64, columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * columns || columns == 0 || to <= from {
        return points.to_vec();
    }
    let width = (to - from) / columns as f64;
    let mut out = Vec::with_capacity(2 * columns);
    let mut i = 0;
    while i < points.len() {
        let column = ((points[i].0 - from) / width).floor();
        let (mut lo, mut hi) = (points[i], points[i]);
        let mut j = i + 1;
        while j < points.len() && ((points[j].0 - from) / width).floor() == column {
            if points[j].1 < lo.1 {
                lo = points[j];
            }
            if points[j].1 > hi.1 {
                hi = points[j];
            }
            j += 1;
        }
        let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
        out.push(a);
        if b != a {
            out.push(b);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_numeric_leaf() {
        let fields = numeric_fields(&json!({"celsius": 21.5, "ok": true, "pos": {"x": 1, "y": -2.5}, "tag": "a"}));
        assert_eq!(fields, [("celsius".into(), 21.5), ("pos.x".into(), 1.0), ("pos.y".into(), -2.5)]);
        assert_eq!(numeric_fields(&json!(3)), [(String::new(), 3.0)]);
        assert!(numeric_fields(&json!("debug")).is_empty());
    }

    #[test]
    fn a_loss_starts_a_new_segment_and_old_points_leave() {
        let mut plot = Plot::new(10.0);
        plot.add("t", 1.0, &json!({"c": 1}), false);
        plot.add("t", 2.0, &json!({"c": 2}), false);
        plot.add("t", 3.0, &json!({"c": 3}), true);
        let s = &plot.series["t.c"];
        assert_eq!(s.segments.len(), 2);
        assert_eq!((s.segments[0].len(), s.segments[1].len()), (2, 1));
        plot.add("t", 12.5, &json!({"c": 4}), false);
        let s = &plot.series["t.c"];
        assert_eq!(s.points(), 2, "points older than 10 s are gone");
        assert_eq!(s.last, Some(4.0));
        assert_eq!(plot.y_bounds(), [2.5, 4.5]);
    }

    #[test]
    fn decimation_keeps_the_extremes_of_each_column() {
        let points: Vec<(f64, f64)> =
            (0..1000).map(|i| (i as f64 / 100.0, if i == 437 { 99.0 } else { 0.0 })).collect();
        let out = decimate(&points, 0.0, 10.0, 10);
        assert!(out.len() <= 20, "{}", out.len());
        assert!(out.contains(&(4.37, 99.0)), "the spike survives");
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
        let few = &points[..10];
        assert_eq!(decimate(few, 0.0, 10.0, 10), few);
    }
}
