//! A blocking line client over plain TCP or rustls.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use aimx_std_net::rustls::{ClientConfig, ClientConnection, StreamOwned};
use aimx_std_net::test_pki::localhost;

/// Plain TCP or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub struct Client {
    lines: BufReader<Stream>,
}

fn io(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Client {
    /// Connects, and with `tls` completes the handshake before returning.
    pub fn connect(addr: SocketAddr, tls: Option<&Arc<ClientConfig>>) -> Result<Client, String> {
        let tcp = TcpStream::connect(addr).map_err(io("connect"))?;
        tcp.set_nodelay(true).map_err(io("nodelay"))?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(config) => {
                let conn = ClientConnection::new(config.clone(), localhost()).map_err(|e| format!("TLS: {e}"))?;
                let mut tls = StreamOwned::new(conn, tcp);
                while tls.conn.is_handshaking() {
                    tls.conn.complete_io(&mut tls.sock).map_err(io("TLS handshake"))?;
                }
                Stream::Tls(Box::new(tls))
            }
        };
        Ok(Client { lines: BufReader::new(stream) })
    }

    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stream = self.lines.get_mut();
        stream.write_all(bytes).map_err(io("write"))?;
        stream.flush().map_err(io("flush"))
    }

    /// The next line; an error at the end of the stream.
    pub fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.lines.read_line(&mut line).map_err(io("read"))? {
            0 => Err("the server closed the connection".into()),
            _ => Ok(line),
        }
    }

    /// Hello, and the welcome.
    pub fn hello(&mut self) -> Result<(), String> {
        self.send(b"{\"version\":\"1.0\",\"client\":\"aimx-tls-cost\"}\n")?;
        let welcome = self.line()?;
        if welcome.contains("\"server\"") {
            Ok(())
        } else {
            Err(format!("not a welcome: {welcome}"))
        }
    }

    /// Reads `n` replies, each a result.
    pub fn results(&mut self, n: usize) -> Result<(), String> {
        for _ in 0..n {
            let line = self.line()?;
            if !line.contains("\"result\"") {
                return Err(format!("not a result: {line}"));
            }
        }
        Ok(())
    }

    /// Ends the session: TLS says close_notify first.
    pub fn close(self) {
        if let Stream::Tls(mut tls) = self.lines.into_inner() {
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
    }
}
