//! When the session writes its replies: once the input is drained or the
//! reply buffer is full, not after every read; and never later than that
//! (a read that exactly fills the line buffer, then silence, still gets
//! every reply).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{duplex, session, Client, End, Fixture};
use embedded_io_async::{ErrorType, Read, Write};
use futures_lite::future::{block_on, or, yield_now};

/// The server's end of the pipe, counting its write calls.
struct Counted(End, Arc<AtomicUsize>);

impl ErrorType for Counted {
    type Error = embedded_io::ErrorKind;
}
impl Read for Counted {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).await
    }
}
impl Write for Counted {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.write(buf).await
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.flush().await
    }
}

/// Runs `test` to the end, or panics if it stops making progress.
fn run_or_stall(test: impl std::future::Future<Output = ()>) {
    block_on(or(test, async {
        for _ in 0..100_000 {
            yield_now().await;
        }
        panic!("the session stalled: a reply was never written");
    }));
}

const GET: &str = r#"{"id":7,"method":"record.get","params":{"name":"config.log_level"}}"#;

#[test]
fn pipelined_replies_share_writes() {
    let f: Fixture<4, 256, 256> = Fixture::with_config(aimx::Config::new().read_write());
    let writes = Arc::new(AtomicUsize::new(0));
    let (server_end, client_end) = duplex(64 * 1024);
    let served = f.server.serve(Counted(server_end, writes.clone()));
    let count = writes.clone();
    run_or_stall(async move {
        session((served, Client::new(client_end)), async |c: &mut Client| {
            c.hello().await;
            let before = count.load(Ordering::Relaxed);
            // 100 gets at once: about 26 full 256-byte reads.
            c.send_raw(format!("{GET}\n").repeat(100).as_bytes()).await;
            let mut reply_bytes = 0;
            for _ in 0..100 {
                reply_bytes += c.line().await.unwrap().len() + 1;
            }
            let used = count.load(Ordering::Relaxed) - before;
            let reads = (GET.len() + 1) * 100 / 256;
            // A write per full reply buffer, and one for the rest; one write
            // per read would be at least `reads`.
            assert!(used <= reply_bytes / 256 + 1, "{used} writes for {reply_bytes} bytes ({reads} reads)");
        })
        .await;
    });
}

#[test]
fn a_read_that_exactly_fills_the_buffer_is_still_answered() {
    let f: Fixture<4, 256, 256> = Fixture::with_config(aimx::Config::new().read_write());
    run_or_stall(async move {
        session(f.connect(), async |c: &mut Client| {
            c.hello().await;
            // Three gets padded with spaces (allowed around JSON) to exactly
            // 256 bytes: the read fills the line buffer, and nothing follows.
            let line = format!("{GET}{}\n", " ".repeat(256 / 3 - GET.len() - 1));
            let mut burst = line.repeat(3);
            burst.insert_str(0, &" ".repeat(256 - burst.len()));
            assert_eq!(burst.len(), 256);
            c.send_raw(burst.as_bytes()).await;
            for _ in 0..3 {
                assert_eq!(c.json().await["result"], "info");
            }
        })
        .await;
    });
}
