//! Sessions: handshake, dispatch and subscriptions over any byte stream.
//!
//! [`Server`] holds what all sessions share (records, config, clock,
//! counters); each call to [`Server::serve`] runs one session to its end.
//! Its limits are const generics, so a session's RAM is fixed at compile time:
//!
//! * `SUBS`: subscriptions per session,
//! * `LINE`: the longest request line, newline included,
//! * `OUT`: the reply buffer (one event or one reply piece must fit).

/// An error message from parts (`&str`s and numbers), written straight into
/// the reply: `msg!("record '", name, "' not found")`. See [`msg::Msg`].
macro_rules! msg {
    // Literals are joined into the text; each other part leaves a mark there
    // and becomes an argument.
    (@ [$($text:literal),*] [$($arg:expr),*] $lit:literal $(, $($rest:tt)*)?) => {
        msg!(@ [$($text,)* $lit] [$($arg),*] $($($rest)*)?)
    };
    (@ [$($text:literal),*] [$($arg:expr),*] $part:expr $(, $($rest:tt)*)?) => {
        msg!(@ [$($text,)* "\u{1}"] [$($arg,)* $part] $($($rest)*)?)
    };
    // One constructor per count of arguments: no loop to copy them, and
    // more than two do not compile.
    (@ [$($text:literal),*] []) => {
        $crate::server::msg::Msg::text(concat!($($text),*))
    };
    (@ [$($text:literal),*] [$a:expr]) => {
        $crate::server::msg::Msg::one(concat!($($text),*), $crate::server::msg::Part::from($a))
    };
    (@ [$($text:literal),*] [$a:expr, $b:expr]) => {
        $crate::server::msg::Msg::two(concat!($($text),*), $crate::server::msg::Part::from($a), $crate::server::msg::Part::from($b))
    };
    ($($part:tt)+) => {
        msg!(@ [] [] $($part)+)
    };
}

/// A session's own reply buffer and line reader, `$out` and `$lines`:
/// inline in the session on MCUs; on 64-bit hosts locals of the caller's
/// future, which the session borrows (so the same session type can also
/// borrow from pools).
macro_rules! own_out {
    ($out:ident, $lines:ident) => {
        // Both buffers before what borrows them: dropped after it.
        #[cfg(target_pointer_width = "64")]
        let mut bytes = [0u8; OUT];
        #[cfg(target_pointer_width = "64")]
        let mut reader = crate::wire::LineReader::<LINE>::new();
        #[cfg(target_pointer_width = "64")]
        let $out = io::Out::new(Some(&mut bytes), None);
        #[cfg(not(target_pointer_width = "64"))]
        let $out = io::Out::new();
        #[cfg(target_pointer_width = "64")]
        let $lines = lines::Lines::new(Some(&mut reader), None);
        #[cfg(not(target_pointer_width = "64"))]
        let $lines = crate::wire::LineReader::<LINE>::new();
    };
}

mod admit;
mod config;
mod dispatch;
#[cfg(feature = "drain")]
mod drain;
#[cfg(feature = "graph")]
mod graph;
mod io;
#[cfg(target_pointer_width = "64")]
mod lines;
mod many;
mod msg;
mod note;
mod pace;
#[cfg(target_pointer_width = "64")]
mod pool;
mod session;
mod stats;
mod subs;
#[cfg(feature = "v3")]
mod topics;

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{ErrorKind, Read, Write};

pub use admit::{EVICT_AFTER_MS, MAX_PENDING};
pub use config::{Config, Policy, Token};
#[cfg(feature = "drain")]
pub use drain::DRAIN_CURSORS;
pub use many::{Accept, Link};
pub use note::SessionNote;
#[cfg(target_pointer_width = "64")]
pub use pool::{LineLender, ReplyPool};
pub use session::Session;
use stats::Counters;
pub use stats::Stats;

use crate::record::Registry;
use crate::runtime::Clock;
use crate::wire::ErrorCode;
use admit::Admission;
use io::{Connection, Whole, WriteHalf};

/// What one subscription costs in RAM, in bytes, on the target compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionCost {
    /// Its cursor in the session state (counted in `size_of::<Session>`).
    pub cursor: usize,
    /// Its wait-queue entry, held by the session future while it waits.
    pub waiter: usize,
}

/// The RAM one subscription costs (both parts scale with `SUBS`).
pub const fn subscription_cost() -> SubscriptionCost {
    SubscriptionCost {
        cursor: core::mem::size_of::<Option<subs::Sub>>(),
        waiter: core::mem::size_of::<Option<maitake_sync::wait_queue::Wait<'static>>>(),
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The peer closed the stream.
    PeerClosed,
    /// Reading failed with an error of this kind.
    ReadError(ErrorKind),
    /// Writing failed with an error of this kind (`WriteZero`: the stream
    /// took no bytes; `OutOfMemory`: a reply piece did not fit even an empty
    /// reply buffer).
    WriteError(ErrorKind),
    /// The peer took no byte of a pending write for the write deadline.
    WriteTimeout,
    /// No hello within the handshake deadline.
    HandshakeTimeout,
    /// The handshake was refused with this code.
    Refused(ErrorCode),
    /// The server already had `max_sessions` sessions.
    TooManySessions,
    /// The connection had not said hello for a second while the pre-hello
    /// budget was full, and a newer connection took its place.
    Evicted,
    /// A greeted session with no subscription sent no line for
    /// [`Config::idle_timeout_ms()`]; it was told so (`idle_timeout`).
    IdleTimeout,
    /// [`Server::shutdown`] was called; the session finished its replies.
    Shutdown,
}

impl core::fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SessionEnd::PeerClosed => f.write_str("the peer closed the stream"),
            SessionEnd::ReadError(kind) => write!(f, "reading from the stream failed: {kind}"),
            SessionEnd::WriteError(kind) => write!(f, "writing to the stream failed: {kind}"),
            SessionEnd::WriteTimeout => f.write_str("the peer took nothing of a write for the write deadline"),
            SessionEnd::HandshakeTimeout => f.write_str("no hello within the handshake deadline"),
            SessionEnd::Refused(code) => write!(f, "the handshake was refused ({code})"),
            SessionEnd::TooManySessions => f.write_str("the server was at its session limit"),
            SessionEnd::Evicted => f.write_str("evicted: silent while the server was full of connections waiting"),
            SessionEnd::IdleTimeout => f.write_str("idle: no request and no subscription for the idle timeout"),
            SessionEnd::Shutdown => f.write_str("the server shut down"),
        }
    }
}

impl core::error::Error for SessionEnd {}

/// An AimX v1 server over a registry of records.
///
/// `const fn new`, so it can be a `static`. The defaults (4 subscriptions,
/// 1 KiB lines, 1 KiB reply buffer) suit std targets; see [`McuServer`].
pub struct Server<'r, C, const SUBS: usize = 4, const LINE: usize = 1024, const OUT: usize = 1024> {
    registry: Registry<'r>,
    config: Config<'r>,
    clock: C,
    counters: Counters,
    /// Whether the registry's names were checked (and its index built).
    registry_checked: portable_atomic::AtomicBool,
    /// Closed by [`Server::shutdown`]; sessions wait on it between replies.
    closing: maitake_sync::WaitQueue,
    /// Woken when a place in the pre-hello budget frees or is taken away.
    admission: maitake_sync::WaitQueue,
}

/// A server sized for small MCUs: 2 subscriptions, 256-byte lines, 512-byte
/// replies.
pub type McuServer<'r, C> = Server<'r, C, 2, 256, 512>;

impl<'r, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Server<'r, C, SUBS, LINE, OUT> {
    /// A server over `registry`. `const`, so it can be a `static` that every
    /// session task borrows; the limits are the const generics (or a preset
    /// such as [`McuServer`]).
    ///
    /// ```
    /// use aimx::record::AnyRecord;
    /// use aimx::{Config, McuServer, Registry, SingleLatest, SpmcRing};
    /// # struct Uptime;
    /// # impl aimx::Clock for Uptime {
    /// #     fn now(&self) -> aimx::Timestamp { aimx::Timestamp::from_millis(1) }
    /// #     async fn sleep_until(&self, _: aimx::Timestamp) {}
    /// # }
    ///
    /// static TEMPERATURE: SpmcRing<f32, 8> = SpmcRing::new("sensor.temperature", "f32").source();
    /// static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1).writable();
    /// static RECORDS: [&dyn AnyRecord; 2] = [&TEMPERATURE, &LEVEL];
    /// // `Uptime` is the board's `aimx::Clock` (aimx-tokio, aimx-embassy… bring one).
    /// static SERVER: McuServer<'static, Uptime> =
    ///     McuServer::new(Registry::new(&RECORDS), Config::new().read_write(), Uptime);
    ///
    /// assert_eq!(SERVER.registry().len(), 2);
    /// ```
    pub const fn new(registry: Registry<'r>, config: Config<'r>, clock: C) -> Self {
        assert!(OUT >= 256, "the reply buffer needs at least 256 bytes");
        assert!(SUBS <= u16::MAX as usize, "too many subscriptions per session");
        Server {
            registry,
            config,
            clock,
            counters: Counters::new(),
            registry_checked: portable_atomic::AtomicBool::new(false),
            closing: maitake_sync::WaitQueue::new(),
            admission: maitake_sync::WaitQueue::new(),
        }
    }

    /// Ends every session at its next pause: replies already being written
    /// are finished and flushed first, then each session returns
    /// [`SessionEnd::Shutdown`]. Sessions started afterwards end the same way
    /// as soon as they would wait for input. Stop accepting before calling it.
    pub fn shutdown(&self) {
        self.closing.close();
    }

    /// Whether [`Self::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.closing.is_closed()
    }

    /// The records served.
    pub fn registry(&self) -> &Registry<'r> {
        &self.registry
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'r> {
        &self.config
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// A copy of the counters.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Records now as the moment this server started serving (`started_at`
    /// in `server.stats`, the records' `created_at`), unless already
    /// recorded. [`Self::serve_many`] and the adapters' accept loops call it
    /// before their first accept; otherwise the first session sets it.
    pub fn mark_started(&self) {
        let now = self.clock.now();
        self.counters.sessions.with_lock(|s| *s.started_at.get_or_insert(now));
    }

    /// When the server started serving: the records' `created_at`.
    pub(crate) fn created_at(&self) -> crate::Timestamp {
        self.counters.sessions.with_lock(|s| s.started_at).unwrap_or_default()
    }

    /// A value's timestamp as sent: values given at construction (stamped
    /// zero, before any clock ran) date from the records' creation.
    pub(crate) fn stamp(&self, t: crate::Timestamp) -> crate::Timestamp {
        if t == crate::Timestamp::ZERO {
            self.created_at()
        } else {
            t
        }
    }

    /// The live counters, bumped without a lock.
    pub(crate) fn count(&self) -> &Counters {
        &self.counters
    }

    /// Serves one session over `stream` until the peer leaves or breaks the
    /// protocol.
    ///
    /// The session races a read against subscription wake-ups and drops the
    /// read future when an event is ready, so the stream's `read` must be
    /// cancel-safe: lose no bytes when dropped before completing.
    ///
    /// * Cancel-safe: tokio and `futures-io` streams through
    ///   `embedded-io-adapters`; embassy-stm32's `BufferedUart` and
    ///   `RingBufferedUartRx` (bytes wait in their buffer); embassy-usb's
    ///   CDC-ACM `BufferedReceiver` and `aimx_embassy::CdcAcmStream`;
    ///   embassy-net's `TcpSocket`; the pipe of `aimx-testing`.
    /// * Not cancel-safe: a driver that moves bytes into the caller's buffer
    ///   and completes later (DMA into the buffer, completion on line idle).
    ///   Serve it with [`Self::serve_split`].
    ///
    /// (embassy-stm32's unbuffered `UartRx` suits neither: it also drops
    /// bytes that arrive between two reads.)
    ///
    /// ```
    /// # use aimx::record::AnyRecord;
    /// # use aimx::{Config, Registry, Server, SingleLatest};
    /// # use aimx_testing::{json, ManualClock};
    /// # static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1);
    /// # static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
    /// # let server: Server<'_, ManualClock> = Server::new(Registry::new(&RECORDS), Config::new(), ManualClock::new());
    /// // Any `Read + Write` stream: here an in-memory pipe, with a test client on its other end.
    /// let (stream, peer) = aimx_testing::duplex(4096);
    /// let mut client = aimx_testing::Client::new(peer);
    /// let talk = async move {
    ///     client.hello().await;
    ///     assert_eq!(client.ok("record.get", json!({"name": "config.level"})).await, 1);
    /// }; // the client is dropped here: the peer closed the stream
    /// let (end, ()) = futures_lite::future::block_on(futures_lite::future::zip(server.serve(stream), talk));
    /// assert_eq!(end, aimx::SessionEnd::PeerClosed);
    /// ```
    pub async fn serve<S: Read + Write>(&self, stream: S) -> SessionEnd {
        self.run(Whole::<_, Connection>::new(stream), |_| false, 0).await
    }

    /// [`Self::serve`] with this idle timeout (ms; 0: none) instead of
    /// [`Config::idle_timeout_ms()`]: the std TCP accept loops use it to
    /// close idle sessions of network peers while the server's other
    /// sessions (a Unix socket, a serial link) keep the server's setting.
    pub async fn serve_idle<S: Read + Write>(&self, stream: S, idle_timeout_ms: u64) -> SessionEnd {
        let mut io = Whole::<_, Connection>::new(stream);
        let (ticket, hello_by) = match self.open_session(&mut io, 0).await {
            Ok(admitted) => admitted,
            Err(end) => return end,
        };
        own_out!(out, lines);
        let mut session = Session::<C, SUBS, LINE, OUT>::new(self, |_| false, ticket, hello_by, out, lines);
        session.core.idle_ms = idle_timeout_ms.min(u32::MAX.into()) as u32;
        session.run(&mut io).await
    }

    /// [`Self::serve_idle`] with the reply buffer taken from `pool` only
    /// while the session has something to write, and the line reader lent
    /// by `readers` only while it holds part of a line (64-bit hosts; issue
    /// 11: a waiting session holds neither, ~2 KiB less per session; it
    /// reads into 128 bytes of its own). Size the pool at `max_sessions +
    /// max_pending` and no session ever waits for a buffer.
    #[cfg(target_pointer_width = "64")]
    pub async fn serve_pooled<'s, S: Read + Write>(
        &'s self,
        stream: S,
        idle_timeout_ms: u64,
        pool: &'s ReplyPool<'s, OUT>,
        readers: &'s dyn LineLender<'s, LINE>,
    ) -> SessionEnd {
        let mut io = Whole::<_, Connection>::new(stream);
        let (ticket, hello_by) = match self.open_session(&mut io, 0).await {
            Ok(admitted) => admitted,
            Err(end) => return end,
        };
        let out = io::Out::new(None, Some(pool));
        let lines = lines::Lines::new(None, Some(readers));
        let mut session = Session::<C, SUBS, LINE, OUT>::new(self, |_| false, ticket, hello_by, out, lines);
        session.core.idle_ms = idle_timeout_ms.min(u32::MAX.into()) as u32;
        session.run(&mut io).await
    }

    /// [`Self::serve`] for a stream from acceptor `A`: a read error of a
    /// kind `A` calls recoverable drops the line it damaged instead of
    /// ending the session; `slots` as in [`Self::admit`]. A link's session
    /// (`A::CONNECTIONS` false) takes no place in the pre-hello budget, is
    /// never evicted and never waits for a place.
    pub(crate) async fn serve_accepted<A: Accept, S: Read + Write>(&self, stream: S, slots: usize) -> SessionEnd {
        self.run(Whole::<_, A>::new(stream), A::recoverable, slots).await
    }

    /// Serves one session over a reader and a writer (UART Rx/Tx, CDC-ACM
    /// receiver/sender, a socket's split halves).
    ///
    /// A read, once started, is kept until it completes, and events go out
    /// through the writer meanwhile: the reader need not be cancel-safe, so
    /// DMA and idle-line readers lose nothing here.
    ///
    /// ```
    /// # use aimx::record::AnyRecord;
    /// # use aimx::{Config, Registry, Server, SingleLatest};
    /// # use aimx_testing::{json, ManualClock};
    /// # static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1);
    /// # static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
    /// # let server: Server<'_, ManualClock> = Server::new(Registry::new(&RECORDS), Config::new(), ManualClock::new());
    /// // Two one-way lines, as a UART's Rx and Tx.
    /// let (rx, to_server) = aimx_testing::duplex(4096);
    /// let (tx, from_server) = aimx_testing::duplex(4096);
    /// let mut client = aimx_testing::Client::split(from_server, to_server);
    /// let talk = async move {
    ///     client.hello().await;
    ///     assert_eq!(client.ok("ping", json!({})).await["pong"], true);
    /// };
    /// let (end, ()) = futures_lite::future::block_on(futures_lite::future::zip(server.serve_split(rx, tx), talk));
    /// assert_eq!(end, aimx::SessionEnd::PeerClosed);
    /// ```
    pub async fn serve_split<R: Read, W: Write>(&self, mut reader: R, writer: W) -> SessionEnd {
        let mut io = WriteHalf(writer);
        let (ticket, hello_by) = match self.open_session(&mut io, 0).await {
            Ok(admitted) => admitted,
            Err(end) => return end,
        };
        own_out!(out, lines);
        let mut session = Session::<C, SUBS, LINE, OUT>::new(self, |_| false, ticket, hello_by, out, lines);
        session.run_split(&mut reader, io.0).await
    }

    /// Checks the registry's names once (and builds its index).
    fn check_registry(&self) {
        if !self.registry_checked.load(portable_atomic::Ordering::Relaxed) {
            // Panics on a duplicate name, before any client can see one.
            self.registry.check();
            self.registry_checked.store(true, portable_atomic::Ordering::Relaxed);
        }
    }

    async fn run<T: io::Transport>(&self, mut io: T, recoverable: fn(ErrorKind) -> bool, slots: usize) -> SessionEnd {
        let (ticket, hello_by) = match self.open_session(&mut io, slots).await {
            Ok(admitted) => admitted,
            Err(end) => return end,
        };
        own_out!(out, lines);
        let mut session = Session::<C, SUBS, LINE, OUT>::new(self, recoverable, ticket, hello_by, out, lines);
        session.run(&mut io).await
    }

    /// Checks the registry once, then takes a place: in the pre-hello budget
    /// (waiting for one while the budget is full of young connections), or
    /// refuses the session when every greeted place is taken. Returns the
    /// ticket and the hello deadline, which counts from the connection, so
    /// time spent waiting for a place is bounded by it too.
    async fn open_session<T: io::Transport>(
        &self,
        io: &mut T,
        slots: usize,
    ) -> Result<(Option<admit::Ticket>, crate::Timestamp), SessionEnd> {
        let hello_by = self.clock.monotonic().plus_millis(self.config.handshake_timeout_ms);
        self.check_registry();
        // A hand-written poll, not an `async` loop: with `T::LINK` a const,
        // a link's build (which never waits for a place) has no trace of
        // the budget. (Code after an `.await` stays compiled even where it
        // is never reached.) `Err(None)`: every greeted place is taken.
        let wait_for = |at: crate::Timestamp| {
            let closing = async {
                let _ = self.closing.wait().await;
            };
            futures_lite::future::or(self.room(at.min(hello_by)), closing)
        };
        let mut waiting = pin!(nothing_from(&wait_for));
        let placed = poll_fn(|cx| loop {
            if !T::LINK {
                if let Some(wait) = waiting.as_mut().as_pin_mut() {
                    if wait.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    waiting.set(None);
                    if self.closing.is_closed() {
                        return Poll::Ready(Err(Some(SessionEnd::Shutdown)));
                    }
                    if self.clock.monotonic() >= hello_by {
                        return Poll::Ready(Err(Some(SessionEnd::HandshakeTimeout)));
                    }
                }
            }
            let admission = match T::LINK {
                true if self.admit_link() => Admission::In(None),
                true => Admission::Full,
                false => self.admit(slots),
            };
            match admission {
                Admission::In(ticket) => return Poll::Ready(Ok(ticket)),
                Admission::Full => return Poll::Ready(Err(None)),
                Admission::WaitUntil(at) => waiting.set(Some(wait_for(at))),
            }
        })
        .await;
        match placed {
            Ok(ticket) => Ok((ticket, hello_by)),
            Err(Some(end)) => Err(end),
            Err(None) => Err(session::refuse_busy(self, io).await),
        }
    }
}

/// `None` of what `f` returns: an empty slot for a future of a type that
/// cannot be named.
fn nothing_from<A, F>(_: &impl Fn(A) -> F) -> Option<F> {
    None
}
