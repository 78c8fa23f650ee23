//! A whole session driven by arbitrary bytes over an in-memory pipe.
//!
//! The first 4 bytes seed the choices a peer and the device make between
//! reads (chunk sizes, publishes, clock jumps, a client that stops reading);
//! the rest is what the peer sends. The seed's top bit serves the session
//! the std adapters' way (`serve_pooled`: a reply buffer from a pool of one
//! and a line reader lent only while part of a line is held) instead of
//! `serve`. Checked: no panic; every line the server writes is one JSON
//! object; no allocation while the session runs (its RAM is its fixed-size
//! future); it ends when the peer leaves; afterwards no session is counted
//! open, no subscription is left attached, and a pooled session has given
//! back its buffer and its reader (and never held two readers).
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use aimx::record::AnyRecord;
use aimx::server::{LineLender, ReplyPool};
use aimx::wire::LineReader;
use aimx::{Clock, Config, Registry, Server, SessionEnd, SingleLatest, SpmcRing, Timestamp};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

/// Fails the run on any allocation while the session is being polled.
struct NoAllocInSession;
static IN_SESSION: AtomicBool = AtomicBool::new(false);
unsafe impl GlobalAlloc for NoAllocInSession {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        assert!(!IN_SESSION.load(Ordering::Relaxed), "the session allocated {} bytes", layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static GLOBAL: NoAllocInSession = NoAllocInSession;

/// Time moves only when the driver says so.
static NOW_MS: AtomicU64 = AtomicU64::new(1_000_000);
struct FuzzClock;
impl Clock for FuzzClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(NOW_MS.load(Ordering::Relaxed))
    }
    async fn sleep_until(&self, deadline: Timestamp) {
        poll_fn(|_| if self.now() >= deadline { Poll::Ready(()) } else { Poll::Pending }).await
    }
}

#[derive(Clone, Copy, Serialize, Deserialize)]
struct Temperature {
    celsius: f32,
}

static TEMPERATURE: SpmcRing<Temperature, 16> = SpmcRing::new("sensor.temperature", "Temperature").source();
static SMALL: SpmcRing<u32, 4> = SpmcRing::new("test.small", "u32").writable();
static NOTE: SingleLatest<heapless::String<64>> = SingleLatest::new("test.note", "String").writable();
static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
static RECORDS: [&dyn AnyRecord; 4] = [&TEMPERATURE, &SMALL, &NOTE, &LEVEL];
/// Small limits, so that line, reply-buffer and subscription limits are all reachable.
static SERVER: Server<'static, FuzzClock, 2, 256, 256> =
    Server::new(Registry::new(&RECORDS), Config::new().read_write().token(aimx::Token::new("s3cret")), FuzzClock);

/// The one line reader a pooled session may borrow: lent twice at once,
/// or given back when not lent, fails the run.
struct OneReader(Mutex<Option<&'static mut LineReader<256>>>);
impl LineLender<'static, 256> for OneReader {
    fn lend(&self) -> &'static mut LineReader<256> {
        self.0.lock().unwrap().take().expect("a second reader lent while the first is held")
    }
    fn take_back(&self, reader: &'static mut LineReader<256>) {
        let mut slot = self.0.lock().unwrap();
        assert!(slot.is_none(), "a reader given back twice");
        *slot = Some(reader);
    }
}

/// A pool of one reply buffer and the one reader, made once (outside any
/// session, so their allocation is not the session's).
fn pools() -> &'static (ReplyPool<'static, 256>, OneReader) {
    static POOLS: OnceLock<(ReplyPool<'static, 256>, OneReader)> = OnceLock::new();
    POOLS.get_or_init(|| {
        let buffers = Box::leak(Box::new([[0u8; 256]; 1]));
        let slots = Box::leak(Box::new([None]));
        let reader = Box::leak(Box::new(LineReader::new()));
        (ReplyPool::new(buffers, slots), OneReader(Mutex::new(Some(reader))))
    })
}

/// What the peer has not read yet can grow to this, then writes wait.
const PEER_WINDOW: usize = 2048;

struct Pipe {
    to_server: VecDeque<u8>,
    closed: bool,
    to_peer: Vec<u8>,
}

struct End(Rc<RefCell<Pipe>>);
impl embedded_io_async::ErrorType for End {
    type Error = core::convert::Infallible;
}
impl embedded_io_async::Read for End {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        poll_fn(|_| {
            let mut p = self.0.borrow_mut();
            if p.to_server.is_empty() {
                return if p.closed { Poll::Ready(Ok(0)) } else { Poll::Pending };
            }
            let n = buf.len().min(p.to_server.len());
            for (dst, src) in buf.iter_mut().zip(p.to_server.drain(..n)) {
                *dst = src;
            }
            Poll::Ready(Ok(n))
        })
        .await
    }
}
impl embedded_io_async::Write for End {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        poll_fn(|_| {
            let mut p = self.0.borrow_mut();
            let n = buf.len().min(PEER_WINDOW - p.to_peer.len());
            if n == 0 {
                return Poll::Pending;
            }
            p.to_peer.extend_from_slice(&buf[..n]); // within the capacity reserved up front
            Poll::Ready(Ok(n))
        })
        .await
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// xorshift: the driver's choices, from the seed bytes.
struct Rng(u32);
impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 % n
    }
}

fn poll_once(session: &mut std::pin::Pin<Box<dyn Future<Output = SessionEnd> + '_>>) -> Option<SessionEnd> {
    let mut cx = Context::from_waker(Waker::noop());
    IN_SESSION.store(true, Ordering::Relaxed);
    let polled = session.as_mut().poll(&mut cx);
    IN_SESSION.store(false, Ordering::Relaxed);
    match polled {
        Poll::Ready(end) => Some(end),
        Poll::Pending => None,
    }
}

fn check_lines(received: &[u8], end: SessionEnd) {
    // A length-prefixed (v3) session's frames end without a newline; the
    // line checks below are for line framing only.
    if received.first() == Some(&0) {
        return;
    }
    let mut lines = received.split_inclusive(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if !line.ends_with(b"\n") {
            // Only a peer that stopped reading can leave a line half-sent.
            assert_eq!(
                end,
                SessionEnd::WriteTimeout,
                "a reply line was cut short: {:?}",
                String::from_utf8_lossy(line)
            );
            assert!(lines.peek().is_none());
            break;
        }
        let v: serde_json::Value = serde_json::from_slice(line)
            .unwrap_or_else(|e| panic!("invalid JSON line ({e}): {:?}", String::from_utf8_lossy(line)));
        assert!(v.is_object(), "not an object: {v}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((seed, mut input)) = data.split_first_chunk::<4>() else { return };
    let mut rng = Rng(u32::from_le_bytes(*seed) | 1);
    let pipe = Rc::new(RefCell::new(Pipe {
        to_server: VecDeque::with_capacity(input.len()),
        closed: false,
        to_peer: Vec::with_capacity(PEER_WINDOW),
    }));
    let pooled = seed[3] & 0x80 != 0;
    let (pool, readers) = pools();
    let mut session: std::pin::Pin<Box<dyn Future<Output = SessionEnd>>> = if pooled {
        Box::pin(SERVER.serve_pooled(End(pipe.clone()), 0, pool, readers))
    } else {
        Box::pin(SERVER.serve(End(pipe.clone())))
    };
    let (mut received, mut reading, mut end) = (Vec::new(), true, None);
    while end.is_none() && !input.is_empty() {
        match rng.below(16) {
            0..=9 => {
                let n = (rng.below(64) as usize + 1).min(input.len());
                pipe.borrow_mut().to_server.extend(&input[..n]);
                input = &input[n..];
            }
            10 | 11 => TEMPERATURE.publish(Temperature { celsius: rng.below(400) as f32 / 10.0 }),
            12 => SMALL.publish(rng.below(1000)),
            13 => reading = !reading,
            14 => {
                NOW_MS.fetch_add(u64::from(rng.below(12_000)), Ordering::Relaxed);
            }
            _ => {}
        }
        if reading {
            received.append(&mut pipe.borrow_mut().to_peer);
        }
        end = poll_once(&mut session);
    }
    // The peer reads what is left and hangs up: the session must end.
    pipe.borrow_mut().closed = true;
    for _ in 0..10_000 {
        if end.is_some() {
            break;
        }
        received.append(&mut pipe.borrow_mut().to_peer);
        end = poll_once(&mut session);
    }
    let end = end.expect("the session did not end after the peer left");
    received.append(&mut pipe.borrow_mut().to_peer);
    drop(session);
    check_lines(&received, end);
    assert_eq!(SERVER.stats().sessions_open, 0, "a session is still counted open");
    for record in RECORDS {
        assert_eq!(record.info().consumers, 0, "{} kept a subscriber", record.meta().name);
    }
    assert_eq!(pool.free(), 1, "the reply buffer was not given back");
    assert!(readers.0.lock().unwrap().is_some(), "the line reader was not given back");
});
