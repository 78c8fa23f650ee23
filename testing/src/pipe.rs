//! An in-memory, bounded, bidirectional byte pipe implementing
//! `embedded_io_async::{Read, Write}`. It needs `alloc` but not `std`, and
//! no executor: wake-ups go through the wakers of whoever polls it, so it
//! works under `block_on`, tokio, embassy's host executor or any other.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use maitake_sync::blocking::Mutex;

/// One direction: bytes in flight, and who waits on them.
struct Queue {
    bytes: VecDeque<u8>,
    capacity: usize,
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

type Shared = Arc<Mutex<Queue>>;

/// One end of a duplex pipe: it reads what the other end writes and the
/// other way round. Dropping it closes both directions: the peer reads the
/// bytes still queued, then end of stream (`Ok(0)`), and its writes fail
/// with `BrokenPipe`.
pub struct End {
    rx: Shared,
    tx: Shared,
    max_write: usize,
}

/// Two connected ends; each direction buffers at most `capacity` bytes, so
/// a writer whose peer does not read is held up exactly as on a real link.
///
/// ```
/// use embedded_io_async::{Read, Write};
///
/// futures_lite::future::block_on(async {
///     let (mut a, mut b) = aimx_testing::duplex(64);
///     a.write_all(b"hello\n").await.unwrap();
///     let mut buf = [0u8; 16];
///     let n = b.read(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello\n");
/// });
/// ```
pub fn duplex(capacity: usize) -> (End, End) {
    assert!(capacity > 0, "a pipe needs room for at least one byte");
    let queue =
        || Arc::new(Mutex::new(Queue { bytes: VecDeque::new(), capacity, closed: false, reader: None, writer: None }));
    let (a, b) = (queue(), queue());
    (End { rx: a.clone(), tx: b.clone(), max_write: usize::MAX }, End { rx: b, tx: a, max_write: usize::MAX })
}

impl End {
    /// Accept at most `n` bytes per `write` call (1 = byte by byte), the way
    /// a UART or a small USB packet hands data over: the reader then sees
    /// every line in pieces.
    pub fn chunked(mut self, n: usize) -> Self {
        self.set_max_write(n);
        self
    }

    /// As [`End::chunked`], in place.
    pub fn set_max_write(&mut self, n: usize) {
        assert!(n > 0, "a write must be able to move at least one byte");
        self.max_write = n;
    }

    /// Bytes the other end wrote that this end has not read yet.
    pub fn pending(&self) -> usize {
        self.rx.with_lock(|q| q.bytes.len())
    }
}

impl Drop for End {
    fn drop(&mut self) {
        for queue in [&self.rx, &self.tx] {
            let wakers = queue.with_lock(|q| {
                q.closed = true;
                [q.reader.take(), q.writer.take()]
            });
            // Woken outside the lock: a waker may poll right away.
            wakers.into_iter().flatten().for_each(Waker::wake);
        }
    }
}

impl embedded_io_async::ErrorType for End {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io_async::Read for End {
    /// Cancel-safe: bytes leave the queue only when a poll returns them.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        poll_fn(|cx| {
            let (result, writer) = self.rx.with_lock(|q| {
                if q.bytes.is_empty() {
                    if q.closed {
                        return (Poll::Ready(Ok(0)), None);
                    }
                    q.reader = Some(cx.waker().clone());
                    return (Poll::Pending, None);
                }
                let n = buf.len().min(q.bytes.len());
                for (dst, src) in buf.iter_mut().zip(q.bytes.drain(..n)) {
                    *dst = src;
                }
                (Poll::Ready(Ok(n)), q.writer.take())
            });
            if let Some(w) = writer {
                w.wake();
            }
            result
        })
        .await
    }
}

impl embedded_io_async::Write for End {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let max_write = self.max_write;
        poll_fn(|cx| {
            let (result, reader) = self.tx.with_lock(|q| {
                if q.closed {
                    return (Poll::Ready(Err(embedded_io::ErrorKind::BrokenPipe)), None);
                }
                let room = q.capacity - q.bytes.len();
                if room == 0 {
                    q.writer = Some(cx.waker().clone());
                    return (Poll::Pending, None);
                }
                let n = buf.len().min(room).min(max_write);
                q.bytes.extend(&buf[..n]);
                (Poll::Ready(Ok(n)), q.reader.take())
            });
            if let Some(w) = reader {
                w.wake();
            }
            result
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
