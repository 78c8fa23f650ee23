//! Many sessions from one future, with no heap and no spawning: each of `N`
//! slots takes a stream from its [`Accept`]or, serves it to its end, and
//! takes the next. For MCUs (two UARTs, a USB port and a TCP socket…) and
//! for any executor that cannot spawn.

use core::future::Future;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::task::{Context, Poll};

use embedded_io_async::{ErrorKind, Read, Write};

use super::{Server, SessionEnd};
use crate::runtime::Clock;

/// Where one session slot gets its streams.
pub trait Accept {
    /// The stream a session is served over; it may borrow the acceptor.
    type Stream<'a>: Read + Write
    where
        Self: 'a;

    /// The next stream to serve, or `None` to retire this slot.
    fn accept(&mut self) -> impl Future<Output = Option<Self::Stream<'_>>>;

    /// Told how each session ended (for logging or back-off).
    fn ended(&mut self, end: SessionEnd) -> impl Future<Output = ()> {
        let _ = end;
        core::future::ready(())
    }

    /// Whether a read error of `kind` only lost bytes in flight, so that the
    /// session drops the line they belonged to and goes on (subscriptions
    /// and hello intact) instead of ending. Default: every error ends it.
    fn recoverable(kind: ErrorKind) -> bool {
        let _ = kind;
        false
    }

    /// Whether each stream is a new connection (a socket), subject to the
    /// pre-hello budget: when a slot takes the last free one, the oldest
    /// connection silent for a second is evicted. `false` for a link served
    /// again and again, which is never evicted.
    const CONNECTIONS: bool = true;
}

/// A link with no connect or disconnect (a UART, a USB CDC-ACM port): the
/// same stream is served again after every session (a refused hello, a
/// handshake timeout, a read error). A host tool that reopens the port simply
/// says hello again. Only the end of the stream itself (a read of 0 bytes)
/// retires the slot.
///
/// A read error that only lost bytes (a UART's overrun, framing, parity or
/// noise error; drivers mostly report these as [`ErrorKind::Other`]) does
/// not end the session: the damaged line is dropped and the session goes on
/// with its subscriptions. Kinds that say the link is gone (`NotConnected`,
/// `ConnectionReset`, `ConnectionAborted`, `BrokenPipe`) end it, as do 8
/// errors in a row with nothing read between them.
pub struct Link<S> {
    stream: S,
    closed: bool,
}

impl<S> Link<S> {
    /// Serve `stream` again and again.
    pub const fn new(stream: S) -> Self {
        Link { stream, closed: false }
    }
}

impl<S: Read + Write> Accept for Link<S> {
    type Stream<'a>
        = &'a mut S
    where
        Self: 'a;

    async fn accept(&mut self) -> Option<&mut S> {
        (!self.closed).then_some(&mut self.stream)
    }

    async fn ended(&mut self, end: SessionEnd) {
        self.closed |= end == SessionEnd::PeerClosed;
    }

    fn recoverable(kind: ErrorKind) -> bool {
        use ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected};
        !matches!(kind, NotConnected | ConnectionReset | ConnectionAborted | BrokenPipe)
    }

    const CONNECTIONS: bool = false;
}

impl<'r, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Server<'r, C, SUBS, LINE, OUT> {
    /// Runs `N` session slots concurrently inside this one future: each
    /// serves the streams its acceptor yields, one after another. Completes
    /// when every acceptor has returned `None`.
    ///
    /// RAM: `N` × the `serve()` future, all inside this future; nothing is
    /// allocated or spawned.
    /// Pin it where it is declared (`pin!`) rather than moving it: it is
    /// as large as all its sessions together.
    ///
    /// ```
    /// # use aimx::record::AnyRecord;
    /// # use aimx::{Config, Registry, Server, SingleLatest};
    /// # use aimx_testing::{json, ManualClock};
    /// use aimx::server::Link;
    /// # static LEVEL: SingleLatest<u8> = SingleLatest::with_value("config.level", "u8", 1);
    /// # static RECORDS: [&dyn AnyRecord; 1] = [&LEVEL];
    /// # let server: Server<'_, ManualClock> = Server::new(Registry::new(&RECORDS), Config::new(), ManualClock::new());
    /// // Two links (say two UARTs; here in-memory pipes), served side by side.
    /// let (uart0, peer0) = aimx_testing::duplex(4096);
    /// let (uart1, peer1) = aimx_testing::duplex(4096);
    /// let serving = core::pin::pin!(server.serve_many([Link::new(uart0), Link::new(uart1)]));
    /// let (mut a, mut b) = (aimx_testing::Client::new(peer0), aimx_testing::Client::new(peer1));
    /// let talk = async move {
    ///     a.hello().await;
    ///     b.hello().await;
    ///     assert_eq!(a.ok("ping", json!({})).await["pong"], true);
    ///     assert_eq!(b.ok("record.get", json!({"name": "config.level"})).await, 1);
    /// }; // both peers leave: the end of a link's stream retires it
    /// futures_lite::future::block_on(futures_lite::future::zip(serving, talk));
    /// assert_eq!(server.stats().sessions_total, 2);
    /// ```
    pub fn serve_many<'a, A: Accept + 'a, const N: usize>(
        &'a self,
        acceptors: [A; N],
    ) -> impl Future<Output = ()> + 'a {
        // Not an `async fn`: its state would hold this join and copy it in
        // through the stack. The slot futures are built in place on first
        // poll: an array of them built up front (`acceptors.map(…)`) is a
        // stack temporary as big as all the sessions together.
        JoinArray::new(acceptors, |a| self.slot(a, N))
    }

    async fn slot<A: Accept>(&self, mut acceptor: A, slots: usize) {
        self.mark_started();
        loop {
            // One call: the kind of stream is `A`'s, a type, so a firmware
            // serving only links builds no budget code.
            let end = match acceptor.accept().await {
                Some(stream) => self.serve_accepted::<A, _>(stream, slots).await,
                None => return,
            };
            acceptor.ended(end).await;
        }
    }
}

/// Starts a future per acceptor and polls them all until all are done.
///
/// The futures live in `MaybeUninit` slots: a slot array that starts as
/// `None`s is still written out whole (and copied) when the join is built,
/// and `*slot = Some(future)` builds the future on the stack first; an
/// uninitialized slot written with [`MaybeUninit::write`] costs neither.
struct JoinArray<A, S, F, const N: usize> {
    /// Each slot's acceptor until its future starts.
    acceptors: [Option<A>; N],
    start: S,
    /// Whether slot `i` holds a live future (started and not yet finished).
    live: [bool; N],
    slots: [MaybeUninit<F>; N],
}

impl<A, S, F, const N: usize> JoinArray<A, S, F, N> {
    fn new(acceptors: [A; N], start: S) -> Self {
        JoinArray {
            acceptors: acceptors.map(Some),
            start,
            live: [false; N],
            slots: [const { MaybeUninit::uninit() }; N],
        }
    }
}

impl<A, S: Fn(A) -> F, F: Future<Output = ()>, const N: usize> Future for JoinArray<A, S, F, N> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the futures in `slots` are structurally pinned: each is
        // written once into its uninitialized slot, never moved, and dropped
        // in place (here when it completes, or in `Drop`). `acceptors`,
        // `start` and `live` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let mut pending = false;
        for i in 0..N {
            if let Some(acceptor) = this.acceptors[i].take() {
                this.slots[i].write((this.start)(acceptor));
                this.live[i] = true;
            }
            if !this.live[i] {
                continue;
            }
            // SAFETY: `live[i]`: the slot holds a future; pinned, see above.
            let future = unsafe { Pin::new_unchecked(this.slots[i].assume_init_mut()) };
            if future.poll(cx).is_ready() {
                this.live[i] = false;
                // SAFETY: it was live, and is never touched again.
                unsafe { this.slots[i].assume_init_drop() };
            } else {
                pending = true;
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl<A, S, F, const N: usize> Drop for JoinArray<A, S, F, N> {
    fn drop(&mut self) {
        for (slot, live) in self.slots.iter_mut().zip(&self.live) {
            if *live {
                // SAFETY: a live slot holds a future; dropped in place, once.
                unsafe { slot.assume_init_drop() };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use core::future::{poll_fn, Future};
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};

    use super::JoinArray;

    /// Counts its drops into the cell it points at.
    struct Guard<'a>(&'a Cell<u32>);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    /// A future holding a guard that completes after `polls` polls.
    fn job(drops: &Cell<u32>, polls: u32) -> impl Future<Output = ()> + '_ {
        let guard = Guard(drops);
        let mut left = polls;
        poll_fn(move |_| {
            let _ = &guard;
            if left == 0 {
                return Poll::Ready(());
            }
            left -= 1;
            Poll::Pending
        })
    }

    #[test]
    fn each_future_is_dropped_once_whether_it_completes_or_is_cancelled() {
        let drops = [Cell::new(0), Cell::new(0), Cell::new(0)];
        let polls = [0, 1, 5];
        {
            let mut join = pin!(JoinArray::new([0, 1, 2], |i: usize| job(&drops[i], polls[i])));
            let mut cx = Context::from_waker(Waker::noop());
            // First poll: slot 0 completes at once, the others wait.
            assert!(join.as_mut().poll(&mut cx).is_pending());
            assert_eq!(drops.each_ref().map(Cell::get), [1, 0, 0]);
            assert!(join.as_mut().poll(&mut cx).is_pending());
            assert_eq!(drops.each_ref().map(Cell::get), [1, 1, 0]);
            // Dropped with slot 2 still running.
        }
        assert_eq!(drops.each_ref().map(Cell::get), [1, 1, 1]);
    }

    #[test]
    fn completes_when_every_slot_has() {
        let drops = [Cell::new(0), Cell::new(0)];
        let mut join = pin!(JoinArray::new([0, 1], |i: usize| job(&drops[i], i as u32 * 2)));
        let mut cx = Context::from_waker(Waker::noop());
        let polls = (1..).find(|_| join.as_mut().poll(&mut cx).is_ready()).unwrap();
        assert_eq!(polls, 3);
        assert_eq!(drops.each_ref().map(Cell::get), [1, 1]);
    }
}
