//! One session: read lines, answer them, deliver events, wait for more.

use core::future::Future;
use core::pin::{pin, Pin};

use embedded_io_async::{Error as _, ErrorKind, Read, Write};
use futures_lite::future::{or, pending, poll_once};
use maitake_sync::WaitQueue;

use super::admit::Ticket;
use super::dispatch::{self, Reply, Stop};
#[cfg(feature = "drain")]
use super::drain::Drains;
use super::io::{write_out, Halt, Out, Sink, Stall, Transport, WriteHalf};
use super::pace::ms;
use super::subs::{Rounds, Subs};
use super::{Server, SessionEnd};
use crate::runtime::Clock;
use crate::time::Timestamp;
#[cfg(target_pointer_width = "64")]
use crate::wire::line::Next;
#[cfg(feature = "v3")]
use crate::wire::request::Frame;
use crate::wire::request::{self, Hello, Message, ParseError};
use crate::wire::{reply, ErrorCode, JsonOut, Line, Wire};

/// Rounds of one event per subscription delivered before input is read
/// again, so a busy record cannot starve requests.
const EVENT_ROUNDS: u8 = 8;

/// A session's line reader: on MCUs its own, inline; on 64-bit hosts the
/// caller's or one lent while a line is being read (`super::lines`).
#[cfg(target_pointer_width = "64")]
pub(crate) type Lines<'s, const N: usize> = super::lines::Lines<'s, N>;
#[cfg(not(target_pointer_width = "64"))]
pub(crate) type Lines<'s, const N: usize> = crate::wire::LineReader<N>;

/// Recoverable read errors in a row (no byte read between them) after which
/// the session ends anyway: a stream that only fails is gone.
const READ_ERRORS_IN_A_ROW: u8 = 8;

/// Bad lines answered before the hello; the next one ends the session, so a
/// peer that never says hello cannot keep the server writing error replies.
pub(crate) const BAD_LINES_BEFORE_HELLO: u8 = 8;

/// The whole state of one session. Its `size_of` is the session's RAM, apart
/// from the stream and the future that awaits it, and on 64-bit hosts apart
/// from the reply buffer and the line reader, which it borrows (from the
/// future that serves it, or from pools only while it has something to
/// write or part of a line: `Server::serve_pooled`).
pub struct Session<'s, 'r, C, const SUBS: usize, const LINE: usize, const OUT: usize> {
    lines: Lines<'s, LINE>,
    pub(crate) core: Core<'s, 'r, C, SUBS, LINE, OUT>,
    /// Which read errors only damaged the bytes in flight (see
    /// `Accept::recoverable`): the line is dropped and the session goes on.
    recoverable: fn(ErrorKind) -> bool,
    /// Recoverable read errors since the last successful read.
    read_errors: u8,
}

/// Everything but the line buffer, so a line can be borrowed while it is
/// answered.
pub(crate) struct Core<'s, 'r, C, const SUBS: usize, const LINE: usize, const OUT: usize> {
    pub(crate) server: &'s Server<'r, C, SUBS, LINE, OUT>,
    pub(crate) out: Out<'s, OUT>,
    pub(crate) subs: Subs<SUBS>,
    #[cfg(feature = "drain")]
    pub(crate) drains: Drains,
    greeted: bool,
    /// Until the first hello succeeds, the handshake deadline: absolute, it
    /// also cuts a write that is blocked on the peer. After it, the idle
    /// deadline (`Config::idle_timeout_ms` after the last line; `None` when
    /// off), which only a session with no subscription waits on. One field
    /// for both keeps the session's RAM as it was.
    deadline: Option<Timestamp>,
    /// The idle timeout in ms (0: none): `Config::idle_timeout_ms`, or what
    /// the accept loop chose (`Server::serve_idle`).
    pub(crate) idle_ms: u32,
    /// Bad lines answered while not greeted.
    bad_lines: u8,
    /// The last write had to wait for the peer: events then go out one at a
    /// time, each chosen from its ring only once the one before is written,
    /// so a slow reader gets recent values (and an honest `dropped`) rather
    /// than a buffer of values that aged while it was written.
    pub(crate) slow: bool,
    /// Holds one of the server's greeted places (from its first good hello).
    admitted: bool,
    /// The generation this session speaks, fixed by its first message.
    wire: Wire,
    /// Whether the first message (or the framing) fixed `wire` yet.
    #[cfg(feature = "v3")]
    wire_fixed: bool,
    /// Its place in the pre-hello budget until the first good hello (`None`
    /// on a link, which is never evicted).
    ticket: Option<Ticket>,
    /// The last time (ms, monotonic) the session was known to be watching
    /// its subscriptions: waiting, or starting a delivery round. A paced
    /// value due before it was sent in time; one due after it and still
    /// held was missed (`dropped`).
    pub(crate) looked: u32,
}

/// The request a refusal or a welcome answers: a v3 hello's (or request's)
/// id. Nothing at all without the v3 feature, so v1 sessions carry no id
/// through their futures.
#[cfg(feature = "v3")]
pub(crate) type ReplyTo = Option<u64>;
#[cfg(not(feature = "v3"))]
pub(crate) type ReplyTo = ();
#[cfg(feature = "v3")]
const NO_ID: ReplyTo = None;
#[cfg(not(feature = "v3"))]
const NO_ID: ReplyTo = ();

#[cfg(feature = "v3")]
pub(crate) fn reply_id(id: ReplyTo) -> Option<u64> {
    id
}
#[cfg(not(feature = "v3"))]
pub(crate) fn reply_id(_: ReplyTo) -> Option<u64> {
    None
}

/// A line's request, parsed: kept by the caller of `Core::on_line` while
/// the reply, which may borrow from it, is written.
type Parsed<'l> = Result<Option<Message<'l>>, ParseError>;

enum Wake {
    Read(Result<usize, ErrorKind>),
    Events,
    /// The handshake deadline passed, or the session was evicted.
    Deadline(SessionEnd),
    /// A greeted session with no subscription sent nothing until its idle
    /// deadline.
    Idle,
    Shutdown,
}

/// Completes when the server closes. Made once per session, not once per
/// wait, and polled on every wake of the session.
#[cfg(not(target_pointer_width = "64"))]
async fn shutdown(closing: &WaitQueue) -> Wake {
    let _ = closing.wait().await;
    Wake::Shutdown
}

/// Completes when the server closes. Made once per session, not once per
/// wait. Polling a waiting `Wait` takes its queue's lock (to store the
/// waker), and this queue is every session's: on a host, where sessions
/// run on several threads, each wake of each session moved that lock
/// between the cores (issue 11). So the wait is polled again only when the
/// server is closing or the waker is not the one it holds.
#[cfg(target_pointer_width = "64")]
async fn shutdown(closing: &WaitQueue) -> Wake {
    let mut wait = pin!(closing.wait());
    let mut held: Option<core::task::Waker> = None;
    core::future::poll_fn(|cx| {
        if !closing.is_closed() && held.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return core::task::Poll::Pending;
        }
        let polled = wait.as_mut().poll(cx).map(|_| Wake::Shutdown);
        held = Some(cx.waker().clone());
        polled
    })
    .await
}

impl<'s, 'r, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Session<'s, 'r, C, SUBS, LINE, OUT> {
    /// A session that took its place with `ticket` ([`Server::admit`]) and
    /// must say hello by `hello_by`.
    /// `out` is its reply buffer (see `Out::new`).
    pub(crate) fn new(
        server: &'s Server<'r, C, SUBS, LINE, OUT>,
        recoverable: fn(ErrorKind) -> bool,
        ticket: Option<Ticket>,
        hello_by: Timestamp,
        out: Out<'s, OUT>,
        lines: Lines<'s, LINE>,
    ) -> Self {
        let core = Core {
            server,
            out,
            subs: Subs::new(),
            #[cfg(feature = "drain")]
            drains: Drains::default(),
            greeted: false,
            deadline: Some(hello_by),
            idle_ms: server.config.idle_timeout_ms.min(u32::MAX as u64) as u32,
            bad_lines: 0,
            slow: false,
            admitted: false,
            wire: Wire::V1,
            #[cfg(feature = "v3")]
            wire_fixed: false,
            ticket,
            looked: 0,
        };
        Session { lines, core, recoverable, read_errors: 0 }
    }

    pub(crate) async fn run<T: Transport>(&mut self, io: &mut T) -> SessionEnd {
        let server = self.core.server;
        // Registered with the server once for the whole session, not once
        // per wait: nothing ever wakes this queue, it only completes once closed.
        let mut shutdown = pin!(shutdown(&server.closing));
        // The last read filled the line buffer: more input is probably waiting.
        let mut more = false;
        // The peer closed its side after sending: the replies to what it
        // sent are still buffered (it still reads them) and go out first.
        let mut closed = false;
        loop {
            // A session served from a pool of reply buffers holds one only
            // from here to its next wait (on MCUs there is nothing to take).
            #[cfg(target_pointer_width = "64")]
            if let Some(lease) = self.core.out.lease() {
                lease.await;
            }
            if let Err(end) = self.step(io).await {
                return end;
            }
            // Before the hello the wait below also watches the handshake
            // deadline, so this shortcut is for greeted sessions only.
            if more && self.core.greeted {
                // Read again before writing, so the replies to what is already
                // waiting go out in the same write; shutdown is checked first,
                // as the wait below would.
                if server.closing.is_closed() {
                    return SessionEnd::Shutdown;
                }
                let spare = self.lines.spare();
                let room = spare.len();
                if let Some(read) = poll_once(io.read(spare)).await {
                    match self.took(read, room) {
                        Ok(filled) => {
                            more = filled;
                            continue;
                        }
                        // Flushed below (one flush in this loop, not two:
                        // each `.await` is code and state in the future).
                        Err(SessionEnd::PeerClosed) => closed = true,
                        Err(end) => return end,
                    }
                }
            }
            // The input is drained: the replies go out before waiting.
            let flushed = self.core.flush(io).await;
            if closed {
                return SessionEnd::PeerClosed;
            }
            if let Err(end) = flushed {
                return end;
            }
            // Nothing is buffered: the reply buffer goes back to its pool.
            #[cfg(target_pointer_width = "64")]
            {
                self.core.out.release();
                self.lines.release();
            }
            let spare = self.lines.spare();
            let room = spare.len();
            let read = async { Wake::Read(io.read(spare).await) };
            // A read that loses no bytes when dropped (see `Server::serve`).
            more = match self.core.wait::<T>(shutdown.as_mut(), read).await {
                Wake::Read(read) => match self.took(read, room) {
                    Ok(filled) => filled,
                    Err(end) => return end,
                },
                Wake::Events => false,
                Wake::Deadline(end) => return end,
                Wake::Idle => {
                    #[cfg(target_pointer_width = "64")]
                    if let Some(lease) = self.core.out.lease() {
                        lease.await;
                    }
                    return self.core.idle_out(io).await;
                }
                Wake::Shutdown => return SessionEnd::Shutdown,
            };
        }
    }

    /// [`Self::run`] for a reader and a writer: a read, once started, stays
    /// in flight until it completes, and events go out through the writer
    /// meanwhile. A reader that moves bytes into the buffer on one poll and
    /// reports them on a later one (DMA, idle-line UART) loses nothing.
    ///
    /// No read-again shortcut as in `run`: `poll_once` would drop a started read.
    pub(crate) async fn run_split<R: Read, W: Write>(&mut self, reader: &mut R, writer: W) -> SessionEnd {
        let server = self.core.server;
        let mut io = WriteHalf(writer);
        let mut shutdown = pin!(shutdown(&server.closing));
        loop {
            if let Err(end) = self.step(&mut io).await {
                return end;
            }
            if let Err(end) = self.core.flush(&mut io).await {
                return end;
            }
            let spare = self.lines.spare();
            let room = spare.len();
            let result = {
                let mut read = pin!(reader.read(spare));
                loop {
                    let reading = async { Wake::Read(read.as_mut().await.map_err(|e| e.kind())) };
                    match self.core.wait::<WriteHalf<W>>(shutdown.as_mut(), reading).await {
                        Wake::Read(result) => break result,
                        // The read stays pinned above, alive, while events go out.
                        Wake::Events => {
                            if let Err(end) = self.core.deliver_events(&mut io).await {
                                return end;
                            }
                            if let Err(end) = self.core.flush(&mut io).await {
                                return end;
                            }
                        }
                        Wake::Deadline(end) => return end,
                        Wake::Idle => return self.core.idle_out(&mut io).await,
                        Wake::Shutdown => return SessionEnd::Shutdown,
                    }
                }
            };
            if let Err(end) = self.took(result, room) {
                return end;
            }
        }
    }

    /// Takes in what a read of `room` bytes brought; `Ok(true)` when it
    /// filled the room.
    fn took(&mut self, read: Result<usize, ErrorKind>, room: usize) -> Result<bool, SessionEnd> {
        match read {
            Ok(0) => Err(SessionEnd::PeerClosed),
            Ok(n) => {
                self.read_errors = 0;
                self.lines.commit(n);
                self.core.server.count().bytes_in.add(n as u64);
                Ok(n >= room)
            }
            // Bytes were lost mid-stream (a UART overrun, a framing error):
            // the line they belonged to cannot be trusted, the session can.
            // A stream that fails on every read still ends.
            Err(kind) if (self.recoverable)(kind) && self.read_errors < READ_ERRORS_IN_A_ROW => {
                self.read_errors += 1;
                self.lines.drop_partial();
                Ok(false)
            }
            Err(kind) => Err(SessionEnd::ReadError(kind)),
        }
    }

    /// Answers every complete line and delivers pending events; the replies
    /// stay buffered (the buffer is written out when it fills up).
    // Without v3 the loop's first statement is compiled out and it reads as
    // a `while let`; with v3 it is not one.
    #[cfg_attr(not(feature = "v3"), allow(clippy::while_let_loop))]
    async fn step<T: Transport>(&mut self, io: &mut T) -> Result<(), SessionEnd> {
        loop {
            // Length-prefixed input means v3, and replies framed the same way.
            #[cfg(feature = "v3")]
            if !self.core.wire_fixed && self.lines.framing() == crate::wire::Framing::LengthPrefixed {
                self.core.fix_wire(Wire::V3);
                self.core.out.length_prefixed(true);
            }
            let mut parsed = None;
            // On 64-bit hosts a plain request is read in one pass with its
            // line's end (`LineReader::next`); any other line is cut, then
            // parsed. A plain request is a v1 request: in a greeted v1
            // session it goes straight to its handler (kept in `plain`,
            // which the reply may borrow), as `answer` would send it.
            #[cfg(target_pointer_width = "64")]
            let mut plain = None;
            #[cfg(target_pointer_width = "64")]
            let mut reply = match self.lines.next() {
                None => break,
                Some(Next::Request(req)) if self.core.greeted && self.core.wire == Wire::V1 => {
                    self.core.request::<T>(plain.insert(req))?
                }
                Some(Next::Request(req)) => self.core.answer::<T>(parsed.insert(Ok(Some(Message::Request(req)))))?,
                Some(Next::Line(line)) => self.core.on_line::<T>(line, &mut parsed)?,
            };
            #[cfg(not(target_pointer_width = "64"))]
            let mut reply = {
                let Some(line) = self.lines.next_line() else { break };
                self.core.on_line::<T>(line, &mut parsed)?
            };
            self.core.touched();
            // Written at once; only a reply that meets a full buffer (or
            // a big v3 frame, or a refusal) goes on to the async
            // `finish`, which borrows it (held once, here, across the wait).
            match self.core.reply_now(&mut reply) {
                Ok(()) if !matches!(reply, Reply::Refuse(..)) => {}
                written => self.core.finish(io, &mut reply, written).await?,
            }
        }
        self.core.deliver_events(io).await
    }
}

impl<'s, 'r, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Core<'s, 'r, C, SUBS, LINE, OUT> {
    /// Waits for whichever comes first: `read`, a subscription with an event
    /// ready, the session's one timer, or shutdown. The timer watches the
    /// handshake deadline and eviction before the hello, and after it the
    /// end of the first interval a paced subscription holds a value for
    /// (there are no subscriptions before the hello), or, with no
    /// subscription, the idle deadline.
    async fn wait<T: Transport>(
        &mut self,
        shutdown: Pin<&mut impl Future<Output = Wake>>,
        read: impl Future<Output = Wake>,
    ) -> Wake {
        // A greeted session with no subscription and no idle deadline (a
        // client sending requests, as most are) waits for input or shutdown
        // alone: the events and timer futures would only be built, polled
        // to no effect and dropped again on every request. Hosts only: on
        // MCUs each `.await` is more code in the session future.
        #[cfg(target_pointer_width = "64")]
        if self.greeted && self.deadline.is_none() && self.subs.is_empty() {
            return or(shutdown, read).await;
        }
        let server = self.server;
        let clock = &server.clock;
        // Only paced subscriptions need the time (issue 11: a clock read
        // per wake was ~5 % of the fan-out CPU); `soonest` and the timer
        // use `now` for them alone.
        let paced = self.subs.paced();
        let now = if paced { clock.monotonic() } else { Timestamp::ZERO };
        // Unpaced subscriptions are either ready (0) or not: the timer
        // has nothing to wait for, and `Ready` looks at them itself.
        let soonest = if paced { self.subs.soonest(server.registry(), ms(now)) } else { None };
        let events = async {
            self.subs.ready(server.registry(), ms(now), soonest.unwrap_or(u32::MAX)).await;
            Wake::Events
        };
        // One sleep for all three cases (each `.await` is code and state in
        // the session future): the time to wake, and what it means then
        // (`None`: check again).
        let timer = async {
            loop {
                let (at, wake) = match (self.deadline, soonest) {
                    (Some(by), _) if !self.greeted => {
                        // A link is never in the pre-hello budget: nothing
                        // to check. (Decided here, inside the future: a value
                        // held in its state would not fold the check away.)
                        let ticket = if T::LINK { None } else { self.ticket };
                        match server.silence(by, ticket) {
                            Ok(check) => (check, None),
                            Err(end) => return Wake::Deadline(end),
                        }
                    }
                    (_, Some(wait @ 1..)) => (now.plus_millis(wait.into()), Some(Wake::Events)),
                    // A subscriber's events are its traffic: never idle.
                    (Some(by), _) if self.subs.is_empty() => (by, Some(Wake::Idle)),
                    _ => pending().await,
                };
                clock.sleep_until(at).await;
                if let Some(wake) = wake {
                    return wake;
                }
            }
        };
        let wake = or(shutdown, or(read, or(events, timer))).await;
        // Watching all along: whatever fell due was seen at once.
        if paced {
            self.looked = ms(clock.monotonic());
        }
        wake
    }

    /// Up to [`EVENT_ROUNDS`] rounds of one event per subscription, once
    /// greeted; the events stay buffered.
    async fn deliver_events<T: Transport>(&mut self, io: &mut T) -> Result<(), SessionEnd> {
        // No subscription (as on every request of a session without one):
        // no delivery round to go through. (Hosts only, as above.)
        if self.greeted && !(cfg!(target_pointer_width = "64") && self.subs.is_empty()) {
            // Written without waiting; a flush only when the buffer fills
            // (or the peer is slow), then on from where delivery stopped.
            let mut at = Rounds::new();
            while self.deliver(&mut at, EVENT_ROUNDS)? {
                self.flush(io).await?;
            }
        }
        Ok(())
    }

    /// The generation this session speaks.
    pub(crate) fn wire(&self) -> Wire {
        self.wire
    }

    /// The first message decides the generation for the whole session.
    #[cfg(feature = "v3")]
    fn fix_wire(&mut self, wire: Wire) {
        if !self.wire_fixed {
            self.wire = wire;
            self.wire_fixed = true;
        }
    }

    /// Answers a line: its effect is done here, its reply returned to be
    /// written (it may borrow from `parsed`, where the line's request is kept).
    // Kept out of the session future's poll function on MCUs: inlined,
    // its ~5.5 KB made that one function spill more (measured +328 B of
    // flash). Hosts keep whatever the optimizer picks.
    #[cfg_attr(not(target_pointer_width = "64"), inline(never))]
    fn on_line<'p, 'l: 'p, T: Transport>(
        &mut self,
        line: Line<'l>,
        parsed: &'p mut Option<Parsed<'l>>,
    ) -> Result<Reply<'p>, SessionEnd>
    where
        'r: 'p,
    {
        let bytes = match line {
            Line::TooLong => {
                self.server.count().parse_errors.add(1);
                return Ok(match self.bad_line_before_hello() {
                    Some(refusal) => refusal,
                    None if self.wire.is_v3() => Reply::Nothing, // No id to answer: skipped, counted.
                    None => Reply::Error(0, ErrorCode::LineTooLong, msg!("line longer than ", LINE - 1, " bytes")),
                });
            }
            #[cfg(feature = "v3")]
            Line::FrameTooLong(len) => {
                self.server.count().parse_errors.add(1);
                let (len, max) = (u64::from(len), LINE - 4);
                let msg = msg!("frame of ", len, " bytes; the limit is ", max);
                return Ok(Reply::Refuse(NO_ID, ErrorCode::LineTooLong, msg));
            }
            Line::Complete(bytes) => bytes,
        };
        self.answer::<T>(request::parse_into(bytes, parsed))
    }

    /// Answers a line's request, parsed into `parsed` (see [`Self::on_line`]).
    // Without v3 the reply id is `()` (zero-sized, so the v3 paths fold away).
    #[cfg_attr(not(feature = "v3"), allow(clippy::let_unit_value))]
    // On MCUs only `on_line` calls it: one function there, as before.
    #[cfg_attr(not(target_pointer_width = "64"), inline(always))]
    fn answer<'p, 'l: 'p, T: Transport>(&mut self, parsed: &'p mut Parsed<'l>) -> Result<Reply<'p>, SessionEnd>
    where
        'r: 'p,
    {
        #[cfg(feature = "v3")]
        if let Some(reply) = self.generation(parsed) {
            return Ok(reply);
        }
        Ok(match parsed {
            Ok(None) => Reply::Nothing,
            Err(e) => {
                self.server.count().parse_errors.add(1);
                match self.bad_line_before_hello() {
                    Some(refusal) => refusal,
                    // v3 skips what it cannot answer; counted above.
                    None if self.wire.is_v3() && !e.has_id => Reply::Nothing,
                    None => Reply::Error(e.id, e.code, msg!(e.message)),
                }
            }
            Ok(Some(Message::Hello(hello))) => self.hello::<T>(hello)?,
            Ok(Some(Message::Request(req))) if !self.greeted => {
                #[cfg(feature = "v3")]
                let id = Some(req.id).filter(|_| self.wire.is_v3());
                #[cfg(not(feature = "v3"))]
                let id = {
                    let _ = req;
                    NO_ID
                };
                Reply::Refuse(id, ErrorCode::ProtocolError, msg!("expected hello"))
            }
            Ok(Some(Message::Request(req))) => self.request::<T>(req)?,
        })
    }

    /// A greeted session's request, of the generation it speaks: counted
    /// and handled.
    #[inline]
    fn request<'p, T: Transport>(&mut self, req: &'p mut request::Request<'_>) -> Result<Reply<'p>, SessionEnd>
    where
        'r: 'p,
    {
        self.server.count().requests.add(1);
        let id = req.id;
        Ok(match dispatch::handle(self, req) {
            Ok(reply) => reply,
            Err(Stop::End(end)) => return Err(end),
            Err(Stop::Answer(code, msg)) => Reply::Error(id, code, msg),
        })
    }

    /// Fixes the session's generation from its first message; a message of
    /// the other generation later is answered (where it has an id) in this
    /// session's generation and goes no further (`Some`).
    #[cfg(feature = "v3")]
    fn generation(&mut self, parsed: &Parsed<'_>) -> Option<Reply<'static>> {
        let wire = match parsed {
            Ok(Some(Message::Hello(h))) if h.v3_id().is_some() => Wire::V3,
            Ok(Some(Message::Request(r))) if r.frame != Frame::V1 => Wire::V3,
            Err(e) => e.wire,
            Ok(None) => return None,
            Ok(Some(_)) => Wire::V1,
        };
        if parsed.is_ok() || wire.is_v3() {
            self.fix_wire(wire);
        }
        if wire == self.wire {
            return None;
        }
        self.server.count().parse_errors.add(1);
        if let Some(refusal) = self.bad_line_before_hello() {
            return Some(refusal);
        }
        let id = match parsed {
            Ok(Some(Message::Request(r))) => Some(r.id),
            Ok(Some(Message::Hello(h))) => h.v3_id(),
            Err(e) if e.has_id => Some(e.id),
            _ => None,
        };
        let msg = msg!("this session speaks the other AimX generation");
        Some(match id {
            Some(id) => Reply::Error(id, ErrorCode::ProtocolError, msg),
            None if self.wire.is_v3() => Reply::Nothing,
            None => Reply::Error(0, ErrorCode::ProtocolError, msg),
        })
    }

    /// Counts a bad line while not greeted; past the bound, the refusal
    /// that ends the session.
    fn bad_line_before_hello(&mut self) -> Option<Reply<'static>> {
        if self.greeted {
            return None;
        }
        if self.bad_lines >= BAD_LINES_BEFORE_HELLO {
            return Some(Reply::Refuse(NO_ID, ErrorCode::ProtocolError, msg!("too many bad lines before hello")));
        }
        self.bad_lines += 1;
        None
    }

    /// A hello, first or again: drop the old subscriptions, check version and
    /// token; the reply is the welcome, or the refusal that ends the session.
    // Without v3 the reply id is `()` (zero-sized, so the v3 paths fold away).
    #[cfg_attr(not(feature = "v3"), allow(clippy::let_unit_value))]
    fn hello<'h, T: Transport>(&mut self, hello: &'h Hello) -> Result<Reply<'h>, SessionEnd> {
        self.subs.clear(&self.server.registry);
        #[cfg(feature = "drain")]
        self.drains.clear();
        self.greeted = false;
        // Always `None` without the v3 feature: the v3 paths fold away.
        #[cfg(feature = "v3")]
        let id = hello.v3_id();
        #[cfg(not(feature = "v3"))]
        let id = NO_ID;
        if !hello.version_ok() {
            let asked = hello.version.as_deref().unwrap_or("no version");
            let speaks = if reply_id(id).is_some() {
                "server speaks 3.x, client asked for "
            } else {
                "server speaks 1.x, client asked for "
            };
            return Ok(Reply::Refuse(id, ErrorCode::VersionMismatch, msg!(speaks, asked)));
        }
        let authenticated = match (self.server.config.token, &hello.auth_token) {
            (None, _) => false,
            (Some(_), None) if !hello.token_unusable => {
                self.server.count().auth_failures.add(1);
                let msg = msg!("this server requires an auth token");
                return Ok(Reply::Refuse(id, ErrorCode::AuthRequired, msg));
            }
            (Some(token), Some(given)) if token.matches(given.0.as_bytes()) => true,
            (Some(_), _) => {
                self.server.count().auth_failures.add(1);
                return Ok(Reply::Refuse(id, ErrorCode::AuthFailed, msg!("invalid auth token")));
            }
        };
        if !self.admitted {
            // A link is never in the pre-hello budget: nothing to check
            // (`T::LINK` is a const, so a link's build has no such code).
            match self.server.greet(if T::LINK { None } else { self.ticket }) {
                Ok(()) => {}
                Err(SessionEnd::Evicted) => return Err(SessionEnd::Evicted),
                Err(_) => {
                    let max = self.server.config.max_sessions;
                    let msg = msg!("server is at its limit of ", max, " sessions");
                    return Ok(Reply::Refuse(id, ErrorCode::TooManySessions, msg));
                }
            }
            self.admitted = true;
            self.ticket = None;
        }
        // `touched` replaces the handshake deadline with the idle one.
        self.greeted = true;
        Ok(Reply::Welcome(id, authenticated))
    }

    /// A complete line was handled: a greeted session's idle deadline
    /// starts again. (Marking it and reading the clock at the next wait
    /// instead, once per batch of lines, cost 40 B more flash and saved no
    /// CPU measurably: the idle timer armed in each wait costs more.)
    fn touched(&mut self) {
        let idle = self.idle_ms;
        if self.admitted {
            self.deadline = (idle != 0).then(|| self.server.clock.monotonic().plus_millis(idle.into()));
        }
    }

    /// The idle deadline passed: one last line tells the peer why (v1: a
    /// refusal without id; v3: a `reply` without id), then the session ends.
    async fn idle_out<T: Transport>(&mut self, io: &mut T) -> SessionEnd {
        let ms = u64::from(self.idle_ms);
        self.server.count().sessions_idle.add(1);
        // Whether that line could be written or not, idleness ended it.
        let mut reply = Reply::Refuse(NO_ID, ErrorCode::IdleTimeout, msg!("no request for ", ms, " ms"));
        let written = self.reply_now(&mut reply);
        let _ = self.finish(io, &mut reply, written).await;
        SessionEnd::IdleTimeout
    }

    /// Writes `reply` into the reply buffer now, without waiting: `Err`
    /// when it needs the async path ([`Self::finish`]): the buffer filled
    /// up, or (v3) a big reply in a length-prefixed frame is measured first.
    pub(crate) fn reply_now(&mut self, reply: &mut Reply<'_>) -> Result<(), Stall> {
        // A value the record keeps as text goes in whole (64-bit hosts).
        #[cfg(target_pointer_width = "64")]
        if dispatch::value_now(&mut self.out, self.wire, reply) {
            return Ok(());
        }
        #[cfg(feature = "v3")]
        if reply.is_big() && self.out.is_length_prefixed() {
            return Err(Stall::Measure);
        }
        self.write(reply, 0)
    }

    /// Writes `reply`, skipping its first `done` pieces (already written).
    /// A reply its writer turns into an error reply (nothing of it written)
    /// becomes that error reply.
    fn write(&mut self, reply: &mut Reply<'_>, done: u32) -> Result<(), Stall> {
        let mut halt = match reply {
            // A drain keeps its own progress (its values move its cursor).
            #[cfg(feature = "drain")]
            Reply::Drain(plan) => super::drain::write(self, plan),
            #[cfg(feature = "v3")]
            Reply::Snaps { label, topic, snaps, at } => super::topics::snaps(self, *label, topic, *snaps, at),
            _ => dispatch::write(self.server, self.wire, reply, &mut Sink::new(&mut self.out, done)),
        };
        if let Err(Halt::Answer(code, msg)) = halt {
            *reply = Reply::Error(reply.id(), code, msg);
            halt = dispatch::write(self.server, self.wire, reply, &mut Sink::new(&mut self.out, 0));
        }
        match halt {
            Ok(()) => Ok(()),
            Err(Halt::Flush(done)) => Err(Stall::Flush(done)),
            Err(_) => Err(Stall::TooBig),
        }
    }

    /// Finishes what [`Self::reply_now`] could not: flushes and writes the
    /// rest as often as the buffer fills, measures and declares a big v3
    /// frame; after a refusal, flushes and ends the session.
    pub(crate) async fn finish<T: Transport>(
        &mut self,
        io: &mut T,
        reply: &mut Reply<'_>,
        mut written: Result<(), Stall>,
    ) -> Result<(), SessionEnd> {
        loop {
            written = match written {
                Ok(()) => break,
                Err(Stall::Flush(done)) => {
                    self.flush(io).await?;
                    self.write(reply, done)
                }
                // A v3 length-prefixed reply larger than the reply buffer:
                // its frame cannot be sent in parts, so it is dropped and
                // the request refused.
                #[cfg(feature = "v3")]
                Err(Stall::TooBig) if reply.is_request() && self.out.abandon() => {
                    let msg = msg!("the reply does not fit the reply buffer (", OUT, " bytes)");
                    *reply = Reply::Error(reply.id(), ErrorCode::InternalError, msg);
                    self.write(reply, 0)
                }
                // A piece that does not fit even an empty buffer ends the
                // session rather than send a broken line.
                Err(Stall::TooBig) => return Err(SessionEnd::WriteError(ErrorKind::OutOfMemory)),
                #[cfg(feature = "v3")]
                Err(Stall::Measure) => {
                    self.flush(io).await?;
                    if self.measure(reply)? {
                        return self.declared(io, reply).await;
                    }
                    self.write(reply, 0)
                }
            };
        }
        if let Reply::Refuse(_, code, _) = *reply {
            self.flush(io).await?;
            return Err(SessionEnd::Refused(code));
        }
        Ok(())
    }

    /// A v3 length-prefixed reply that may outgrow the reply buffer is
    /// measured first (writing it changes nothing; the buffer was just
    /// flushed); when it does not fit, the header that declares its length
    /// goes in (see `Out::declare`), and `true`: send it with [`Self::declared`].
    #[cfg(feature = "v3")]
    fn measure(&mut self, reply: &mut Reply<'_>) -> Result<bool, SessionEnd> {
        self.out.measure(true);
        let measured = self.write(reply, 0).is_ok();
        let (bytes, pieces) = self.out.measure(false);
        // The measured bytes end with the frame's `\n`, which is not sent.
        if !measured || bytes <= OUT - 4 {
            return Ok(false);
        }
        // Slack for a value that grows between the passes (a count gaining
        // a digit, a first `last_update`).
        self.out.declare(bytes - 1 + 48 * pieces).map_err(|_| SessionEnd::WriteError(ErrorKind::OutOfMemory))?;
        Ok(true)
    }

    /// Writes a declared frame through the buffer, flushing as it fills.
    #[cfg(feature = "v3")]
    async fn declared<T: Transport>(&mut self, io: &mut T, reply: &mut Reply<'_>) -> Result<(), SessionEnd> {
        let mut written = self.write(reply, 0);
        while let Err(Stall::Flush(done)) = written {
            self.flush(io).await?;
            written = self.write(reply, done);
        }
        self.flush(io).await?;
        // A declared frame that came out longer, or stopped short, leaves
        // the peer unable to find the next frame: the session ends.
        if self.out.broken() || written.is_err() {
            return Err(SessionEnd::WriteError(ErrorKind::InvalidData));
        }
        Ok(())
    }

    pub(crate) async fn flush<T: Transport>(&mut self, io: &mut T) -> Result<(), SessionEnd> {
        let server = self.server;
        // Before the hello the handshake deadline also ends a write that the
        // peer does not take (the idle deadline never does).
        let hello_by = self.deadline.filter(|_| !self.admitted);
        let (clock, timeout_ms) = (&server.clock, server.config.write_timeout_ms);
        let bytes = self.out.ready_bytes();
        let n = bytes.len();
        #[allow(unused_mut)]
        let mut waited = write_out(io, clock, timeout_ms, hello_by, bytes).await?;
        #[cfg(feature = "v3")]
        while let Some(pad) = self.out.take_pad() {
            waited |= write_out(io, clock, timeout_ms, hello_by, pad).await?;
        }
        self.out.sent(n);
        self.server.count().bytes_out.add(n as u64);
        if n > 0 {
            self.slow = waited;
        }
        Ok(())
    }
}

impl<C, const SUBS: usize, const LINE: usize, const OUT: usize> Drop for Core<'_, '_, C, SUBS, LINE, OUT> {
    fn drop(&mut self) {
        // Also runs when a session future is cancelled: consumer counts and
        // greeted places stay true.
        self.subs.clear(&self.server.registry);
        self.server.leave(self.ticket, self.admitted);
    }
}

/// Answers a session over the limit with `too_many_sessions` and closes it.
pub(crate) async fn refuse_busy<C: Clock, T: Transport, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
    io: &mut T,
) -> SessionEnd {
    // Straight from a small buffer of its own: no reply buffer (`Out`) of
    // another size to build code for.
    let mut buf = [0u8; 128];
    let mut out = JsonOut::new(&mut buf);
    let max = server.config.max_sessions;
    let msg = msg!("server is at its limit of ", max, " sessions");
    if reply::error(&mut out, Wire::V1, None, ErrorCode::TooManySessions, |o| msg.write(o)).is_ok() {
        let n = out.len();
        let _ = write_out(io, &server.clock, server.config.write_timeout_ms, None, &buf[..n]).await;
    }
    SessionEnd::TooManySessions
}
