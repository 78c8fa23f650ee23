//! An in-memory, bounded, bidirectional byte pipe implementing
//! `embedded_io_async::{Read, Write}`; works under any executor.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use futures_lite::future::poll_fn;

#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    capacity: usize,
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

type Shared = Arc<Mutex<Queue>>;

/// One end of a duplex pipe. Dropping it closes both directions for the peer.
pub struct End {
    rx: Shared,
    tx: Shared,
    /// Largest write accepted per call (1 simulates byte-by-byte links).
    pub max_write: usize,
}

/// Two connected ends; each direction buffers at most `capacity` bytes.
pub fn duplex(capacity: usize) -> (End, End) {
    let a: Shared = Arc::new(Mutex::new(Queue { capacity, ..Queue::default() }));
    let b: Shared = Arc::new(Mutex::new(Queue { capacity, ..Queue::default() }));
    (End { rx: a.clone(), tx: b.clone(), max_write: usize::MAX }, End { rx: b, tx: a, max_write: usize::MAX })
}

impl End {
    /// Bytes waiting to be read by this end.
    pub fn pending(&self) -> usize {
        self.rx.lock().unwrap().bytes.len()
    }
}

impl Drop for End {
    fn drop(&mut self) {
        for q in [&self.rx, &self.tx] {
            let mut q = q.lock().unwrap();
            q.closed = true;
            if let Some(w) = q.reader.take() {
                w.wake();
            }
            if let Some(w) = q.writer.take() {
                w.wake();
            }
        }
    }
}

impl embedded_io_async::ErrorType for End {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io_async::Read for End {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        poll_fn(|cx| {
            let mut q = self.rx.lock().unwrap();
            if q.bytes.is_empty() {
                if q.closed {
                    return Poll::Ready(Ok(0));
                }
                q.reader = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(q.bytes.len());
            for (dst, src) in buf.iter_mut().zip(q.bytes.drain(..n)) {
                *dst = src;
            }
            if let Some(w) = q.writer.take() {
                w.wake();
            }
            Poll::Ready(Ok(n))
        })
        .await
    }
}

impl embedded_io_async::Write for End {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let max_write = self.max_write;
        poll_fn(|cx| {
            let mut q = self.tx.lock().unwrap();
            if q.closed {
                return Poll::Ready(Err(embedded_io::ErrorKind::BrokenPipe));
            }
            let room = q.capacity - q.bytes.len();
            if room == 0 {
                q.writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(room).min(max_write);
            q.bytes.extend(&buf[..n]);
            if let Some(w) = q.reader.take() {
                w.wake();
            }
            Poll::Ready(Ok(n))
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
