//! A demo server process: started with its flags, its TCP address read from
//! what it prints, its CPU time read from /proc, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Demo {
    child: Child,
    pub addr: SocketAddr,
}

impl Demo {
    /// Runs `exe --tcp 127.0.0.1:0 <extra>` and waits for it to listen.
    pub fn start(exe: &Path, extra: &[&str]) -> Result<Demo, String> {
        let mut child = Command::new(exe)
            .args(["--tcp", "127.0.0.1:0", "--max-sessions", "2000"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", exe.display()))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let (tx, rx) = mpsc::channel();
        // Reads every line the demo prints (one per session), so it never
        // blocks on a full pipe; the first "listening on tcp" gives the port.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on tcp ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let said = rx.recv_timeout(Duration::from_secs(20));
        // Killed on the way out if it does not say where it listens.
        let mut demo = Demo { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let said = said.map_err(|_| format!("{} did not say where it listens", exe.display()))?;
        demo.addr = said.parse().map_err(|e| format!("{said}: {e}"))?;
        Ok(demo)
    }

    /// CPU seconds the process has used: the sum of its threads' run time
    /// (/proc/PID/task/*/schedstat, nanoseconds).
    pub fn cpu_seconds(&self) -> Result<f64, String> {
        let pid = self.child.id();
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|e| format!("/proc/{pid}/task: {e}"))?;
        let mut ns = 0u64;
        for task in tasks.flatten() {
            // A thread that ended since the listing took its time with it.
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
            ns += text.split_whitespace().next().and_then(|t| t.parse::<u64>().ok()).ok_or("odd schedstat")?;
        }
        Ok(ns as f64 / 1e9)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
