//! A check every std demo's own test runs against its binary: it answers a
//! hello on its Unix socket, its sensor publishes at the rate asked, and SIGTERM (what `kill` and service managers
//! send) ends it cleanly with the socket file removed.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `exe --unix <fresh path> --rate-hz 20`, says hello, receives three
/// live sensor readings, sends SIGTERM and checks the exit and the cleanup.
/// Leaves nothing behind in the temp dir.
pub fn live_values_then_sigterm_removes_the_socket(exe: &str) {
    let dir = std::env::temp_dir().join(format!("aimx-demo-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("demo.sock");
    let mut child = Command::new(exe)
        .args(["--unix", path.to_str().unwrap(), "--rate-hz", "20"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let start = Instant::now();
        let stream = loop {
            match UnixStream::connect(&path) {
                Ok(s) => break s,
                Err(e) if start.elapsed() > Duration::from_secs(20) => panic!("demo never listened: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (&stream).write_all(b"{\"version\":\"1.0\",\"client\":\"check\"}\n").unwrap();
        let mut lines = BufReader::new(&stream);
        let mut welcome = String::new();
        lines.read_line(&mut welcome).unwrap();
        assert!(welcome.contains("\"server\""), "not a welcome: {welcome}");

        // The sensor runs: three readings arrive (at 20 Hz, well within the
        // read timeout; a producer that stalls fails here).
        let subscribe = b"{\"id\":1,\"method\":\"record.subscribe\",\"params\":{\"name\":\"sensor.temperature\",\"send_initial\":false}}\n";
        (&stream).write_all(subscribe).unwrap();
        let mut events = 0;
        while events < 3 {
            let mut line = String::new();
            let n = lines.read_line(&mut line).expect("the sensor stopped publishing");
            assert!(n > 0, "the demo closed the session");
            events += line.contains("\"event\"") as usize;
        }

        let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "demo ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "demo exited with {status}");
        assert!(!path.exists(), "SIGTERM left the socket file {}", path.display());
    }));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
