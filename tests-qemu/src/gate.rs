//! A read half that can be paused: while closed, bytes stay in the socket
//! and the device, after the buffers fill, cannot write.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};

/// Opens and closes a [`Gated`] reader.
#[derive(Clone, Default)]
pub struct Gate(Arc<AtomicBool>);

impl Gate {
    /// Stop reading.
    pub fn close(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Read again.
    pub fn open(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    fn closed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A reader that reads only while its gate is open.
pub struct Gated<R> {
    inner: R,
    gate: Gate,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<R> Gated<R> {
    /// Wraps `inner`; returns the reader and its gate.
    pub fn new(inner: R) -> (Self, Gate) {
        let gate = Gate::default();
        (Gated { inner, gate: gate.clone(), sleep: None }, gate)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Gated<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        // Closed: look again every 20 ms (a timer, so no busy loop).
        while self.gate.closed() {
            let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(20))));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
