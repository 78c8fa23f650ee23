//! The only code that touches the stream: reading, and writing the reply
//! buffer out under the write deadline.

use embedded_io_async::{Read, Write};
use futures_lite::future::or;

use super::SessionEnd;
use crate::runtime::Clock;
use crate::wire::{Full, JsonOut};

/// A byte stream, whole or in halves. Errors only mean "close".
pub(crate) trait Transport {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()>;
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ()>;
    async fn flush(&mut self) -> Result<(), ()>;
}

/// One stream that reads and writes.
pub(crate) struct Whole<S>(pub S);

/// A reader and a writer.
pub(crate) struct Halves<R, W>(pub R, pub W);

impl<S: Read + Write> Transport for Whole<S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
        self.0.read(buf).await.map_err(drop)
    }
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ()> {
        self.0.write(buf).await.map_err(drop)
    }
    async fn flush(&mut self) -> Result<(), ()> {
        self.0.flush().await.map_err(drop)
    }
}

impl<R: Read, W: Write> Transport for Halves<R, W> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
        self.0.read(buf).await.map_err(drop)
    }
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ()> {
        self.1.write(buf).await.map_err(drop)
    }
    async fn flush(&mut self) -> Result<(), ()> {
        self.1.flush().await.map_err(drop)
    }
}

/// The reply buffer: pieces of JSON accumulate here and go out together.
pub(crate) struct Out<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Out<N> {
    pub(crate) const fn new() -> Self {
        Out { buf: [0; N], len: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends what `f` writes, all or nothing.
    pub(crate) fn piece(&mut self, f: impl FnOnce(&mut JsonOut) -> Result<(), Full>) -> Result<(), Full> {
        let mut out = JsonOut::new(&mut self.buf[self.len..]);
        f(&mut out)?;
        self.len += out.len();
        Ok(())
    }

    /// The whole buffer as scratch space; only valid while it is empty.
    pub(crate) fn scratch(&mut self) -> &mut [u8] {
        debug_assert!(self.len == 0);
        &mut self.buf
    }

    /// Writes out what is buffered, giving up at the write deadline.
    pub(crate) async fn flush<T: Transport, C: Clock>(
        &mut self,
        io: &mut T,
        clock: &C,
        timeout_ms: u64,
    ) -> Result<usize, SessionEnd> {
        if self.len == 0 {
            return Ok(0);
        }
        let deadline = clock.now().plus_millis(timeout_ms);
        let bytes = &self.buf[..self.len];
        let write = async {
            let mut rest = bytes;
            while !rest.is_empty() {
                match io.write(rest).await {
                    Ok(0) | Err(()) => return Err(SessionEnd::WriteError),
                    Ok(n) => rest = &rest[n.min(rest.len())..],
                }
            }
            io.flush().await.map_err(|()| SessionEnd::WriteError)
        };
        let timeout = async {
            clock.sleep_until(deadline).await;
            Err(SessionEnd::WriteTimeout)
        };
        or(write, timeout).await?;
        let n = self.len;
        self.len = 0;
        Ok(n)
    }
}
