//! Each minimal example runs: it serves its two records over TCP, the config
//! record takes a write, the sensor's events arrive.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The example's process, killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(binary: &str) -> (Running, String) {
    let mut child = Command::new(binary).arg("127.0.0.1:0").stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading: the example prints a note per session.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first.trim().strip_prefix("serving on ").unwrap_or_else(|| panic!("{binary}: {first}")).to_owned();
    (Running(child), addr)
}

fn check(binary: &str) {
    let (_running, addr) = start(binary);
    let stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut lines = BufReader::new(stream.try_clone().unwrap()).lines();
    let mut out = stream;
    let mut next = || -> Value { serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap() };
    writeln!(out, r#"{{"version":"1.0"}}"#).unwrap();
    assert_eq!(next()["writable_records"], json!(["config.period_ms"]), "{binary}");
    writeln!(out, r#"{{"id":1,"method":"record.set","params":{{"name":"config.period_ms","value":20}}}}"#).unwrap();
    assert_eq!(next()["result"]["value"], 20, "{binary}");
    writeln!(out, r#"{{"id":2,"method":"record.subscribe","params":{{"name":"sensor.temperature"}}}}"#).unwrap();
    assert_eq!(next()["result"]["subscription_id"], "sub-1", "{binary}");
    for _ in 0..5 {
        let line = next();
        assert!(line["event"]["data"]["celsius"].as_f64().is_some_and(|c| (20.0..25.0).contains(&c)), "{line}");
    }
}

#[test]
fn tokio_example_serves() {
    check(env!("CARGO_BIN_EXE_minimal-tokio"));
}

#[test]
fn smol_example_serves() {
    check(env!("CARGO_BIN_EXE_minimal-smol"));
}

#[test]
fn embassy_example_serves() {
    check(env!("CARGO_BIN_EXE_minimal-embassy"));
}
