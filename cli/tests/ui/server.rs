//! `aimx ui` as a child process, stopped when the test ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct AimxUi {
    child: Child,
    pub url: String,
}

impl AimxUi {
    /// Starts `aimx <conn…> ui --listen 127.0.0.1:0` and reads the URL it prints.
    pub fn start(conn: &[&str]) -> AimxUi {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aimx"))
            .args(conn)
            .args(["ui", "--listen", "127.0.0.1:0"])
            .env_remove("AIMX_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "aimx ui: http://127.0.0.1:PORT/ (device: …)"
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line:?}"));
        AimxUi { url: url.to_owned(), child }
    }
}

impl Drop for AimxUi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
