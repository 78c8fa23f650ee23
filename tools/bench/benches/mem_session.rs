//! A session over an in-memory stream, polled by hand with a no-op waker:
//! requests go in, one poll answers them, replies come out. No executor, no
//! socket, no allocation per request, so what is measured is the server.

use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::sync::Mutex;

use aimx::record::AnyRecord;
use aimx::server::{LineLender, ReplyPool};
use aimx::wire::LineReader;
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

/// The line reader of a pooled session: one, lent and taken back.
struct OneReader(Mutex<Option<&'static mut LineReader<1024>>>);

impl LineLender<'static, 1024> for OneReader {
    fn lend(&self) -> &'static mut LineReader<1024> {
        let kept = self.0.lock().unwrap().take();
        kept.unwrap_or_else(|| Box::leak(Box::new(LineReader::new())))
    }
    fn take_back(&self, reader: &'static mut LineReader<1024>) {
        *self.0.lock().unwrap() = Some(reader);
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
        Self::start(records, |server, stream| Box::pin(server.serve(stream)))
    }

    /// [`Self::new`] served as the std adapters serve a session
    /// (`Server::serve_pooled`, no idle timeout as over a Unix socket): the
    /// reply buffer and the line reader are lent from pools. The reply pool
    /// holds two buffers, so that like a std adapter's (one per session) it
    /// is never empty: giving back to an empty pool also wakes its waiters.
    pub fn pooled(records: &'static [&'static dyn AnyRecord]) -> Self {
        Self::start(records, |server, stream| {
            let buffers = Box::leak(Box::new([[0u8; 1024]; 2]));
            let slots = Box::leak(Box::new([None, None]));
            let pool: &'static ReplyPool<'static, 1024> = Box::leak(Box::new(ReplyPool::new(buffers, slots)));
            let readers: &'static OneReader = Box::leak(Box::new(OneReader(Mutex::new(None))));
            Box::pin(server.serve_pooled(stream, 0, pool, readers))
        })
    }

    fn start(
        records: &'static [&'static dyn AnyRecord],
        serve: impl FnOnce(&'static Server<'static, NoClock>, Stream) -> Pin<Box<dyn Future<Output = SessionEnd>>>,
    ) -> Self {
        let server: &'static Server<'static, NoClock> =
            Box::leak(Box::new(Server::new(Registry::new(records), Config::new().read_write(), NoClock)));
        // Room for the largest exchange up front: nothing grows while measured.
        let bytes = Rc::new(RefCell::new(Bytes {
            input: Vec::with_capacity(64 * 1024),
            output: Vec::with_capacity(256 * 1024),
            read: 0,
        }));
        let session = serve(server, Stream(bytes.clone()));
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
