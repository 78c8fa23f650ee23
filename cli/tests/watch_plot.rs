//! `aimx watch --plot` in a real terminal (tmux): the chart changes as values
//! arrive, `q` quits with exit 0 and the usual summary. Needs `tmux`
//! (ci/ui-tools.sh installs it).

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::demo::{self, Policy};

/// A tmux server of this test's own, killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output();
        out.unwrap_or_else(|e| {
            panic!("this test needs `tmux` ({e}): run `bash ci/ui-tools.sh` or `apt-get install tmux`")
        })
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "plot"]).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.capture();
            if check(&screen) {
                return screen;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting for {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

/// The number after `events` in the chart's header line.
fn events_shown(screen: &str) -> u64 {
    let header = screen.lines().find(|l| l.starts_with("aimx watch --plot")).unwrap_or_default();
    let mut words = header.split_whitespace().skip_while(|w| *w != "events");
    words.nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The chart's body: every line between the header and the footer.
fn chart(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines[1..lines.len().saturating_sub(2)].join("\n")
}

#[test]
fn the_terminal_chart_moves_and_q_quits_with_the_summary() {
    let ep = demo::start(Policy::ReadWrite);
    let tmux = Tmux { socket: format!("aimx-plot-test-{}", std::process::id()) };
    let command = format!(
        "{} --unix {} watch sensor.temperature --plot; echo \"EXIT=$?\"; sleep 60",
        env!("CARGO_BIN_EXE_aimx"),
        ep.unix.display()
    );
    let out = tmux.run(&["new-session", "-d", "-s", "plot", "-x", "100", "-y", "30", &command]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let first = tmux.wait_for("the chart with some events", |s| events_shown(s) >= 5);
    assert!(first.contains("sensor.temperature.celsius"), "the legend names the series:\n{first}");
    assert!(first.contains("q quits"), "{first}");
    let braille = |s: &str| s.chars().filter(|c| ('\u{2801}'..='\u{28ff}').contains(c)).count();
    assert!(braille(&chart(&first)) > 0, "a line is drawn:\n{first}");
    std::thread::sleep(Duration::from_millis(1500));
    let second = tmux.capture();
    assert!(events_shown(&second) > events_shown(&first), "{first}\n---\n{second}");
    assert_ne!(chart(&first), chart(&second), "the chart changes as values arrive");

    tmux.run(&["send-keys", "-t", "plot", "q"]);
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
    let summary = end.lines().find(|l| l.contains(" events, ")).unwrap_or_else(|| panic!("no summary:\n{end}"));
    assert!(summary.contains(" dropped in ") && summary.ends_with("events/s)"), "{summary}");
    assert!(!end.contains("aimx watch --plot"), "the terminal is restored:\n{end}");
}
