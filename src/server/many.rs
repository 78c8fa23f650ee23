//! Many sessions from one future, with no heap and no spawning: each of `N`
//! slots takes a stream from its [`Accept`]or, serves it to its end, and
//! takes the next. For MCUs (two UARTs, a USB port and a TCP socket…) and
//! for any executor that cannot spawn.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use embedded_io_async::{Read, Write};

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
}

/// A link with no connect or disconnect (a UART, a USB CDC-ACM port): the
/// same stream is served again after every session (a refused hello, a
/// handshake timeout, a read error). A host tool that reopens the port simply
/// says hello again. Only the end of the stream itself (a read of 0 bytes)
/// retires the slot.
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
}

impl<'r, C: Clock, const SUBS: usize, const LINE: usize, const OUT: usize> Server<'r, C, SUBS, LINE, OUT> {
    /// Runs `N` session slots concurrently inside this one future: each
    /// serves the streams its acceptor yields, one after another. Completes
    /// when every acceptor has returned `None`.
    ///
    /// RAM: `N` × the `serve()` future, all inside this future; nothing is
    /// allocated or spawned.
    pub async fn serve_many<A: Accept, const N: usize>(&self, acceptors: [A; N]) {
        JoinArray { slots: acceptors.map(|a| Some(self.slot(a))) }.await
    }

    async fn slot<A: Accept>(&self, mut acceptor: A) {
        loop {
            let end = match acceptor.accept().await {
                Some(stream) => self.serve(stream).await,
                None => return,
            };
            acceptor.ended(end).await;
        }
    }
}

/// Polls an array of futures until all are done.
struct JoinArray<F, const N: usize> {
    slots: [Option<F>; N],
}

impl<F: Future<Output = ()>, const N: usize> Future for JoinArray<F, N> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `slots` is structurally pinned: a future in it is never
        // moved, only dropped in place (by assigning `None`) once complete.
        let slots = unsafe { &mut self.get_unchecked_mut().slots };
        let mut pending = false;
        for slot in slots.iter_mut() {
            let Some(future) = slot.as_mut() else { continue };
            // SAFETY: see above.
            if unsafe { Pin::new_unchecked(future) }.poll(cx).is_ready() {
                *slot = None;
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
