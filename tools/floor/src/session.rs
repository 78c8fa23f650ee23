//! One floor session: the I/O of a line server with nothing behind it.
//!
//! The pattern is the cheapest one a line server can have, which is what
//! makes it a floor: read into a fixed line buffer, append one fixed answer
//! per complete line to a fixed reply buffer, write the reply buffer only
//! when it is full or the input is drained, and read again at once when a
//! read filled the line buffer (more is probably waiting).

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::watch;

use crate::canned::{self, Kind};

/// A stream that can also be read without waiting.
pub trait Sock: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
}
impl Sock for UnixStream {
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        UnixStream::try_read(self, buf)
    }
}
impl Sock for TcpStream {
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::try_read(self, buf)
    }
}

/// Buffer sizes and the event backlog, shared by every session.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub line_buf: usize,
    pub out_buf: usize,
    /// Events kept for a slow subscriber before older ones count as dropped
    /// (the demo's temperature ring holds 16).
    pub backlog: u64,
}

struct Session<S> {
    sock: S,
    limits: Limits,
    input: Vec<u8>,
    filled: usize,
    out: Vec<u8>,
    /// While subscribed: the value count at subscribe time (events are
    /// numbered from there, as each subscription numbers its own) and the
    /// last one written.
    subscribed: Option<(u64, u64)>,
    events: watch::Receiver<u64>,
    values: &'static watch::Sender<u64>,
}

/// Serves one connection until the peer leaves or an I/O error.
pub async fn serve<S: Sock>(sock: S, limits: Limits, values: &'static watch::Sender<u64>) {
    let mut s = Session {
        sock,
        limits,
        input: vec![0; limits.line_buf],
        filled: 0,
        out: Vec::with_capacity(limits.out_buf),
        subscribed: None,
        events: values.subscribe(),
        values,
    };
    let _ = s.run().await;
}

impl<S: Sock> Session<S> {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            let subscribed = self.subscribed.is_some();
            let n = tokio::select! {
                n = self.sock.read(&mut self.input[self.filled..]) => n?,
                changed = self.events.changed(), if subscribed => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    self.write_events().await?;
                    self.flush().await?;
                    continue;
                }
            };
            if n == 0 {
                return Ok(());
            }
            let mut n = n;
            loop {
                let spare = self.input.len() - self.filled;
                self.filled += n;
                self.answer_lines().await?;
                if n < spare {
                    break; // a short read: the input is drained
                }
                n = match self.sock.try_read(&mut self.input[self.filled..]) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                };
            }
            self.flush().await?;
        }
    }

    /// Answers every complete line in the input buffer and keeps the rest.
    async fn answer_lines(&mut self) -> io::Result<()> {
        let mut start = 0;
        while let Some(len) = self.input[start..self.filled].iter().position(|&b| b == b'\n') {
            let kind = canned::kind(&self.input[start..start + len]);
            start += len + 1;
            match kind {
                Kind::Set => {
                    self.values.send_modify(|v| *v += 1);
                }
                Kind::Subscribe => {
                    let now = *self.events.borrow_and_update();
                    self.subscribed = Some((now, now));
                }
                Kind::Unsubscribe | Kind::Hello => self.subscribed = None,
                Kind::Get => {}
            }
            self.push(canned::answer(&kind)).await?;
        }
        if start == 0 && self.filled == self.input.len() {
            // A line longer than the buffer: drop it, as a real server would refuse it.
            self.filled = 0;
            return self.push(canned::GET).await;
        }
        self.input.copy_within(start..self.filled, 0);
        self.filled -= start;
        Ok(())
    }

    /// The events a subscriber has not seen, the oldest beyond the backlog
    /// counted as dropped.
    async fn write_events(&mut self) -> io::Result<()> {
        let Some((base, seen)) = self.subscribed else { return Ok(()) };
        let latest = *self.events.borrow_and_update();
        let first = (seen + 1).max(latest.saturating_sub(self.limits.backlog - 1));
        let mut dropped = first - seen - 1;
        for sequence in first..=latest {
            if self.out.len() + 160 > self.limits.out_buf {
                self.flush().await?;
            }
            canned::event(&mut self.out, sequence - base, dropped);
            dropped = 0;
        }
        self.subscribed = Some((base, latest.max(seen)));
        Ok(())
    }

    async fn push(&mut self, line: &[u8]) -> io::Result<()> {
        if self.out.len() + line.len() > self.limits.out_buf {
            self.flush().await?;
        }
        self.out.extend_from_slice(line);
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.sock.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, BufReader};

    #[tokio::test]
    async fn one_answer_per_line_and_numbered_events() {
        let values: &'static watch::Sender<u64> = Box::leak(Box::new(watch::Sender::new(0)));
        let (client, server) = UnixStream::pair().unwrap();
        let limits = Limits { line_buf: 256, out_buf: 256, backlog: 2 };
        tokio::spawn(serve(server, limits, values));
        let (rx, mut tx) = client.into_split();
        let mut rx = BufReader::new(rx).lines();
        // Many lines in one write, more than one buffer's worth.
        let get = "{\"id\":1,\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\n";
        tx.write_all(format!("{{\"hello\":{{\"version\":\"1.0\"}}}}\n{}", get.repeat(20)).as_bytes()).await.unwrap();
        assert!(rx.next_line().await.unwrap().unwrap().starts_with("{\"version\":\"1.0\""));
        for _ in 0..20 {
            assert_eq!(rx.next_line().await.unwrap().unwrap().as_bytes(), canned::GET.trim_ascii_end());
        }
        values.send_modify(|v| *v += 7); // before the subscription: not seen
        tx.write_all(b"{\"id\":2,\"method\":\"record.subscribe\",\"params\":{}}\n").await.unwrap();
        assert!(rx.next_line().await.unwrap().unwrap().contains("queue_size"));
        values.send_modify(|v| *v += 1);
        let first = rx.next_line().await.unwrap().unwrap();
        assert!(first.contains("\"sequence\":1,") && !first.contains("dropped"), "{first}");
        values.send_modify(|v| *v += 5); // 2..=6: the backlog keeps 5 and 6
        let next = rx.next_line().await.unwrap().unwrap();
        assert!(next.contains("\"sequence\":5,") && next.contains("\"dropped\":3"), "{next}");
        assert!(rx.next_line().await.unwrap().unwrap().contains("\"sequence\":6,"));
    }
}
