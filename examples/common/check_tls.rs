//! A check the std demos' tests run against their binary with the TLS
//! flags: `--tcp 127.0.0.1:0 --tls-cert … --tls-key …` with certificates
//! made for the test; a TLS client is served, a plain client is not.
//! Included by path from each demo's tests (it needs `aimx-std-net` with
//! `test-pki`, a dev-dependency there).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use aimx_std_net::rustls::{ClientConnection, StreamOwned};
use aimx_std_net::test_pki::{client_config, localhost, Ca};

pub fn serves_tls_and_refuses_plain(exe: &str) {
    let dir = std::env::temp_dir().join(format!("aimx-demo-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = Ca::new("aimx demo test CA");
    let (cert, key) = ca.sign_pem(&["localhost", "127.0.0.1"]);
    let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let mut child = Command::new(exe)
        .args(["--tcp", "127.0.0.1:0", "--tls-cert", cert_path.to_str().unwrap()])
        .args(["--tls-key", key_path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Kept open to the end: the demo prints a line per session.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut said = Vec::new();
        let addr = loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the demo ended: {said:?}");
            if let Some(addr) = line.strip_prefix("listening on tcp ") {
                break addr.trim().to_owned();
            }
            said.push(line);
        };

        let tcp = TcpStream::connect(&addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let conn = ClientConnection::new(client_config(&ca.cert(), None), localhost()).unwrap();
        let mut tls = BufReader::new(StreamOwned::new(conn, tcp));
        tls.get_mut().write_all(b"{\"version\":\"1.0\",\"client\":\"check\"}\n").unwrap();
        let mut welcome = String::new();
        tls.read_line(&mut welcome).unwrap();
        assert!(welcome.contains("\"server\""), "not a welcome: {welcome}");

        // A plain client on the TLS port: no JSON back, and the end of the stream.
        let mut plain = TcpStream::connect(&addr).unwrap();
        plain.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        plain.write_all(b"{\"version\":\"1.0\"}\n").unwrap();
        let mut bytes = Vec::new();
        let _ = plain.read_to_end(&mut bytes);
        assert!(!bytes.starts_with(b"{"), "a plain client got JSON from the TLS port: {bytes:?}");
    }));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
