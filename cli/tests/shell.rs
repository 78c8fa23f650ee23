//! `aimx shell` in a real terminal (tmux) and with piped input: short forms
//! and raw JSON go out with ids, replies and events print as they arrive,
//! colored, above the line being typed; history; the end of the connection.
//! Needs `tmux` (ci/ui-tools.sh installs it).

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::demo::{self, Policy};

/// A tmux server of this test's own, killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(tag: &str) -> Self {
        Tmux { socket: format!("aimx-shell-test-{tag}-{}", std::process::id()) }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output();
        out.unwrap_or_else(|e| {
            panic!("this test needs `tmux` ({e}): run `bash ci/ui-tools.sh` or `apt-get install tmux`")
        })
    }

    /// Starts `command` in a 150×40 window; its exit code is printed after
    /// it (`EXIT=N`: tmux's own `pane_dead_status` is sometimes left empty).
    fn start(&self, command: &str) {
        let command = format!("{command}; echo EXIT=$?; sleep 30");
        let out = self.run(&["new-session", "-d", "-s", "sh", "-x", "150", "-y", "40", &command]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "sh"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The screen and the lines scrolled off it (events arrive at 50 Hz: a
    /// reply can scroll away between two looks); with `-e`, the colors as
    /// escape sequences. The screen's last line is the capture's last.
    fn capture(&self, colors: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-S", "-", "-t", "sh"];
        if colors {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.capture(false);
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

fn events(screen: &str) -> usize {
    screen.lines().filter(|l| l.starts_with("< {\"event\":")).count()
}

/// The escape sequences just before `text` on a captured screen (tmux
/// writes its own, e.g. `ESC[32m ESC[49m`).
fn color_of<'s>(colored: &'s str, text: &str) -> &'s str {
    let at = colored.find(text).unwrap_or_else(|| panic!("{text} not on screen:\n{colored:?}"));
    let before = &colored[..at];
    &before[before.rfind('\n').map_or(0, |i| i + 1)..]
}

/// The last line with text on it: where the prompt and the typed line are.
fn last_line(screen: &str) -> &str {
    screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default()
}

#[test]
fn a_terminal_session_with_short_forms_raw_json_events_and_history() {
    let ep = demo::start(Policy::ReadWrite);
    let tmux = Tmux::new("tty");
    tmux.start(&format!("{} --unix {} shell", env!("CARGO_BIN_EXE_aimx"), ep.unix.display()));
    let screen = tmux.wait_for("the prompt", |s| last_line(s) == "aimx>");
    // Each on a line of its own, though printed before the first prompt.
    assert!(
        screen.lines().any(|l| l.starts_with("! connected to unix ") && l.ends_with("Ctrl-D to leave")),
        "{screen}"
    );
    assert!(screen.lines().any(|l| l.starts_with("< {\"version\":\"1.0\"")), "{screen}");

    tmux.keys(&["list", "Enter"]);
    tmux.wait_for("the list", |s| {
        s.contains("> {\"id\":1,\"method\":\"record.list\",\"params\":{}}") && s.contains("< {\"id\":1,\"result\":[{")
    });
    tmux.keys(&[r#"{"method":"ping"}"#, "Enter"]);
    tmux.wait_for("the pong", |s| {
        s.contains("> {\"id\":2,\"method\":\"ping\"}") && s.contains("< {\"id\":2,\"result\":{\"pong\":true")
    });
    let colored = tmux.capture(true);
    assert!(color_of(&colored, "< {\"id\":2,\"result\"").contains("\x1b[32m"), "replies are green:\n{colored:?}");
    assert!(color_of(&colored, "> {\"id\":2,").contains("\x1b[2m"), "what was sent is dim:\n{colored:?}");

    tmux.keys(&["sub sensor.temperature", "Enter"]);
    let screen = tmux.wait_for("events", |s| events(s) >= 3);
    assert!(screen.contains("\"subscription_id\":\"sub-1\""), "{screen}");
    // Half a line typed while events keep arriving: it stays whole, below them.
    tmux.keys(&["get config.log_"]);
    tmux.wait_for("more events", |s| s.contains("\"sequence\":12,"));
    // (with the scrollback, the 12th is found even if it scrolled away)
    let screen = tmux.capture(false);
    assert_eq!(last_line(&screen), "aimx> get config.log_", "{screen}");
    tmux.keys(&["level", "Enter"]);
    tmux.wait_for("the value", |s| s.contains("< {\"id\":4,\"result\":\"info\"}"));
    tmux.keys(&["unsub sub-1", "Enter"]);
    tmux.wait_for("the unsubscribe", |s| s.contains("< {\"id\":5,\"result\""));

    // History: the arrow brings back the last line, and it is sent again.
    tmux.keys(&["Up"]);
    tmux.wait_for("the recalled line", |s| last_line(s) == "aimx> unsub sub-1");
    tmux.keys(&["Enter"]);
    tmux.wait_for("its error", |s| s.contains("< {\"id\":6,\"error\":{\"code\":\"not_found\""));
    let colored = tmux.capture(true);
    assert!(color_of(&colored, "< {\"id\":6,\"error\"").contains("\x1b[31m"), "errors are red:\n{colored:?}");
    tmux.keys(&["bogus", "Enter"]);
    tmux.wait_for("the local hint", |s| s.contains("! unknown command `bogus`"));
    tmux.keys(&["quit", "Enter"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
}

#[test]
fn the_end_of_the_connection_ends_the_shell_and_restores_the_terminal() {
    // Answers the hello, then hangs up on the first request.
    let path = common::fake::serve(true, |_, out| {
        let _ = out.shutdown(std::net::Shutdown::Both);
    });
    let tmux = Tmux::new("hangup");
    tmux.start(&format!("{} --unix {} shell; echo EXIT=$?; stty -a", env!("CARGO_BIN_EXE_aimx"), path.display()));
    tmux.wait_for("the prompt", |s| last_line(s) == "aimx>");
    tmux.keys(&["ping", "Enter"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert!(screen.contains("error: connection closed") && screen.contains("EXIT=3"), "{screen}");
    // `stty -a` ran after the shell: the terminal is back in line mode.
    let screen = tmux.wait_for("stty", |s| s.contains(" icanon ") || s.contains("-icanon"));
    assert!(screen.contains(" icanon ") && screen.contains(" echo "), "{screen}");
}

#[test]
fn piped_input_is_read_line_by_line_and_every_answer_is_printed() {
    let ep = demo::start(Policy::ReadWrite);
    let mut child = Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--unix", &ep.unix.display().to_string(), "shell"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "get config.log_level\nset config.log_level debug\n{\"id\":40,\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\n{broken\nnot json\nget\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains('\x1b'), "no colors when not on a terminal: {stdout:?}");
    for expected in [
        r#"> {"id":1,"method":"record.get","params":{"name":"config.log_level"}}"#,
        r#"< {"id":1,"result":"info"}"#,
        r#"> {"id":2,"method":"record.set","params":{"name":"config.log_level","value":"debug"}}"#,
        r#"< {"id":40,"result":"debug"}"#,
        "> {broken",
        r#"< {"id":0,"error":{"code":"parse_error""#,
        "! unknown command `not`",
        "! usage: get NAME",
    ] {
        assert!(stdout.lines().any(|l| l.starts_with(expected)), "{expected}\n{stdout}");
    }
}
