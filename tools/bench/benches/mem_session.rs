//! A session over an in-memory stream, polled by hand with a no-op waker:
//! requests go in, one poll answers them, replies come out. No executor, no
//! socket, no allocation per request, so what is measured is the server.

use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;

use aimx::record::AnyRecord;
use aimx::{Clock, Config, Registry, Server, SessionEnd, Timestamp};

/// A clock whose deadlines never come: the bench never waits on time.
pub struct NoClock;
impl Clock for NoClock {
    fn now(&self) -> Timestamp {
        Timestamp::ZERO
    }
    async fn sleep_until(&self, _: Timestamp) {
        core::future::pending().await
    }
}

#[derive(Default)]
struct Bytes {
    input: Vec<u8>,
    read: usize,
    output: Vec<u8>,
}

/// The session's end of the stream.
struct Stream(Rc<RefCell<Bytes>>);

impl embedded_io_async::ErrorType for Stream {
    type Error = core::convert::Infallible;
}
impl embedded_io_async::Read for Stream {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        poll_fn(|_| {
            let mut b = self.0.borrow_mut();
            let n = buf.len().min(b.input.len() - b.read);
            if n == 0 {
                return Poll::Pending;
            }
            let start = b.read;
            buf[..n].copy_from_slice(&b.input[start..start + n]);
            b.read += n;
            Poll::Ready(Ok(n))
        })
        .await
    }
}
impl embedded_io_async::Write for Stream {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.borrow_mut().output.extend_from_slice(buf);
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A greeted session and the bytes it exchanges.
pub struct MemSession {
    bytes: Rc<RefCell<Bytes>>,
    session: Pin<Box<dyn Future<Output = SessionEnd>>>,
}

impl MemSession {
    /// A read-write server over `records`, and a session that has said hello.
    pub fn new(records: &'static [&'static dyn AnyRecord]) -> Self {
        let server: &'static Server<'static, NoClock> =
            Box::leak(Box::new(Server::new(Registry::new(records), Config::new().read_write(), NoClock)));
        // Room for the largest reply up front: the output never grows while measured.
        let bytes = Rc::new(RefCell::new(Bytes {
            input: Vec::with_capacity(4096),
            output: Vec::with_capacity(256 * 1024),
            read: 0,
        }));
        let session = Box::pin(server.serve(Stream(bytes.clone())));
        let mut s = MemSession { bytes, session };
        s.exchange(b"{\"version\":\"1.0\",\"client\":\"bench\"}\n");
        s
    }

    /// Sends `input`, polls the session once, and returns how many bytes it wrote.
    pub fn exchange(&mut self, input: &[u8]) -> usize {
        {
            let mut b = self.bytes.borrow_mut();
            b.input.clear();
            b.input.extend_from_slice(input);
            b.read = 0;
            b.output.clear();
        }
        let mut cx = Context::from_waker(Waker::noop());
        assert!(self.session.as_mut().poll(&mut cx).is_pending(), "the session ended");
        self.bytes.borrow().output.len()
    }

    /// What the session wrote in the last exchange.
    pub fn output(&self) -> Vec<u8> {
        self.bytes.borrow().output.clone()
    }
}
