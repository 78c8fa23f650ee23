//! Headless chromium driven over the DevTools protocol: open a page,
//! evaluate JavaScript in it, take screenshots. Just enough for the
//! dashboard test, written here so no browser-automation crate is needed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream as AsyncTcp;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The flags chromium needs as root in a container, plus a fresh profile.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1100,700",
];

pub struct Browser {
    _process: Process,
    page: WebSocketStream<MaybeTlsStream<AsyncTcp>>,
    next_id: u64,
}

/// The chromium process and its profile, removed however the test ends.
struct Process {
    child: Child,
    profile: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's helper processes outlive the main one for a moment and
        // may still write into the profile: remove it until it stays gone.
        for _ in 0..50 {
            let _ = std::fs::remove_dir_all(&self.profile);
            std::thread::sleep(Duration::from_millis(100));
            if !self.profile.exists() {
                break;
            }
        }
    }
}

fn chromium_binary() -> &'static str {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
            return name;
        }
    }
    panic!(
        "this test needs Debian's `chromium` (the dashboard is checked in a real browser): \
         run `bash ci/ui-tools.sh` or `apt-get install chromium`"
    );
}

/// A plain HTTP/1.1 GET on loopback (the DevTools endpoint, which keeps
/// the connection open: the body ends at its Content-Length), as JSON;
/// `None` while the endpoint is not answering yet.
fn get_json(port: u16, path: &str) -> Option<Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&bytes);
        let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
        let length = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
        })?;
        if body.len() >= length {
            return serde_json::from_str(&body[..length]).ok();
        }
    }
}

impl Browser {
    /// Starts chromium on `url` and attaches to its page.
    pub async fn open(url: &str) -> Browser {
        let binary = chromium_binary();
        let profile = std::env::temp_dir().join(format!("aimx-ui-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        // Chromium's own temporary files (its singleton socket dir) go
        // inside the profile, so removing the profile removes them too.
        let tmp = profile.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let child = Command::new(binary)
            .env("TMPDIR", &tmp)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--remote-debugging-port=0")
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let process = Process { child, profile: profile.clone() };
        // Chromium writes the port it chose into the profile.
        let port_file = profile.join("DevToolsActivePort");
        let started = Instant::now();
        let port: u16 = loop {
            if let Some(port) = std::fs::read_to_string(&port_file).ok().and_then(|t| t.lines().next()?.parse().ok()) {
                break port;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "chromium did not start its DevTools endpoint");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let ws_url = loop {
            let targets = get_json(port, "/json/list").unwrap_or_default();
            let page = targets.as_array().into_iter().flatten().find(|t| t["type"] == "page" && t["url"] == url);
            if let Some(u) = page.and_then(|p| p["webSocketDebuggerUrl"].as_str()) {
                break u.to_owned();
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no page for {url}: {targets}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (page, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.unwrap();
        Browser { _process: process, page, next_id: 1 }
    }

    /// One DevTools command; its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({"id": id, "method": method, "params": params}).to_string();
        self.page.send(Message::Text(request.into())).await.unwrap();
        loop {
            let message = self.page.next().await.expect("DevTools closed").unwrap();
            let Message::Text(text) = message else { continue };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates a JavaScript expression in the page; its value as JSON.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let result = self.call("Runtime.evaluate", params).await;
        assert!(result.get("exceptionDetails").is_none(), "{expression}: {result}");
        result["result"]["value"].clone()
    }

    /// Polls `expression` until `check` accepts its value.
    pub async fn wait_for(&mut self, what: &str, expression: &str, check: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let value = self.eval(expression).await;
            if check(&value) {
                return value;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting for {what}; last: {value}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A PNG of the page as it is now.
    pub async fn screenshot(&mut self) -> Vec<u8> {
        let size = json!({"width": 1100, "height": 700, "deviceScaleFactor": 1, "mobile": false});
        self.call("Emulation.setDeviceMetricsOverride", size).await;
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await;
        base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap()
    }
}
