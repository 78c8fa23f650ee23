//! A scripted server on a Unix socket, for what the demo cannot be made to
//! do on cue (server-side drops, silence). It answers the hello with a
//! welcome, then runs `script` on every request line it reads.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

use serde_json::Value;

pub const WELCOME: &str = r#"{"version":"1.0","server":"fake/0","permissions":["read","subscribe"],"writable_records":[],"max_subscriptions":4,"authenticated":false}"#;

/// Serves connections in a thread; `script(request, out)` writes replies.
/// `welcome: false` never answers the hello (a silent device).
pub fn serve(welcome: bool, script: fn(&Value, &mut UnixStream)) -> PathBuf {
    let path = super::demo::socket_path("fake");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || session(stream, welcome, script));
        }
    });
    path
}

fn session(stream: UnixStream, welcome: bool, script: fn(&Value, &mut UnixStream)) {
    let mut out = stream.try_clone().unwrap();
    for (i, line) in BufReader::new(stream).lines().enumerate() {
        let Ok(line) = line else { return };
        if i == 0 {
            if welcome {
                let _ = writeln!(out, "{WELCOME}");
            }
            continue;
        }
        if let Ok(request) = serde_json::from_str::<Value>(&line) {
            script(&request, &mut out);
        }
    }
}

/// A TCP server that is not AimX: it reads one line and answers like a web
/// server that did not understand it, then hangs up. Returns its address.
pub fn http() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = stream.write_all(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    addr
}

/// A TCP server that accepts and then says nothing, holding each connection
/// until the peer leaves. Returns its address.
pub fn mute_tcp() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || std::io::copy(&mut &stream, &mut std::io::sink()));
        }
    });
    addr
}
