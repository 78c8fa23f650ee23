//! A real mosquitto broker for one test: its own config in a temp dir, a free
//! loopback port, killed (and restarted on the same port) by the test.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian (and most distributions) put the broker.
fn binary() -> PathBuf {
    for dir in ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"] {
        let path = PathBuf::from(dir).join("mosquitto");
        if path.exists() {
            return path;
        }
    }
    if let Ok(out) = Command::new("which").arg("mosquitto").output() {
        let found = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !found.is_empty() {
            return found.into();
        }
    }
    panic!(
        "the aimx-bridge tests need the mosquitto MQTT broker and it is not installed: \
         `apt-get install mosquitto mosquitto-clients` (ci/setup.sh does this in CI)"
    );
}

/// A running broker.
pub struct Mosquitto {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Mosquitto {
    /// Starts a broker on a free port of 127.0.0.1 and waits until it accepts.
    pub fn start() -> Mosquitto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("aimx-bridge-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf =
            format!("listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest file {}\n", dir.join("log").display());
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
        let mut broker = Mosquitto { port, dir, child: None };
        broker.restart();
        broker
    }

    /// The broker's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The URL for the bridge's config.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL: no goodbye to anyone), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (a killed one first).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(binary())
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "mosquitto did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
