//! Output helpers: timestamps, JSON, tables.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Timestamps above this are wall-clock (after 2001); below, time since boot.
const WALL_CLOCK: f64 = 1e9;

/// `"<secs>.<nanos>"` as `HH:MM:SS.mmm` (UTC) for wall-clock stamps, or
/// `+SECS.mmms` for a device counting from boot.
pub fn time(stamp: &str) -> String {
    match aimx_client::timestamp_secs(stamp) {
        Some(secs) if secs >= WALL_CLOCK => {
            let ms = (secs * 1000.0) as u64;
            let day_ms = ms % 86_400_000;
            let (h, m, s) = (day_ms / 3_600_000, day_ms / 60_000 % 60, day_ms / 1000 % 60);
            format!("{h:02}:{m:02}:{s:02}.{:03}", day_ms % 1000)
        }
        Some(secs) => format!("+{secs:.3}s"),
        None => stamp.to_owned(),
    }
}

/// This host's wall clock, as [`time`] shows a stamp.
pub fn now() -> String {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    time(&format!("{}.{:09}", since.as_secs(), since.subsec_nanos()))
}

/// How long ago a wall-clock stamp was, e.g. `2.1s ago`; `None` for a
/// since-boot stamp, whose age this host cannot know.
pub fn age(stamp: &str) -> Option<String> {
    let secs = aimx_client::timestamp_secs(stamp).filter(|s| *s >= WALL_CLOCK)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let ago = (now - secs).max(0.0);
    Some(if ago < 60.0 { format!("{ago:.1}s ago") } else { format!("{:.0}m ago", ago / 60.0) })
}

/// Pretty JSON for people, compact for `--json`.
pub fn json(value: &Value, compact: bool) -> String {
    let pretty = if compact { serde_json::to_string(value) } else { serde_json::to_string_pretty(value) };
    pretty.unwrap_or_else(|_| value.to_string())
}

/// Left-aligned columns separated by two spaces, with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_wall_clock_and_boot_time() {
        assert_eq!(time("1795699147.955942719"), "13:19:07.955");
        assert_eq!(time("35.250000000"), "+35.250s");
        assert_eq!(time("bogus"), "bogus");
        assert_eq!(age("35.25"), None);
    }

    #[test]
    fn aligns_columns() {
        let t = table(&["A", "BB"], &[vec!["long".into(), "x".into()]]);
        assert_eq!(t, "A     BB\nlong  x\n");
    }
}
