//! Issue 9, item 5: transport errors say what happened, and on a `Link` (a
//! UART) a read error that only lost bytes (overrun, framing, parity, noise)
//! drops the damaged line and keeps the session, its hello and its
//! subscriptions; the host does not have to say hello again.
//!
//! The fake UART below is a pipe whose reads can be made to fail, the way a
//! UART driver reports an overrun: once, between two successful reads.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use aimx::server::{Accept, Link};
use aimx::SessionEnd;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use futures_lite::future::{block_on, poll_once, yield_now, zip};
use serde_json::json;

use common::{duplex, fixture, Client, End};

/// What a UART driver reports; most map their line errors to `Other`.
#[derive(Debug, Clone, Copy)]
enum UartError {
    Overrun,
    /// The adapter is gone (a USB serial bridge unplugged).
    Unplugged,
}

impl std::fmt::Display for UartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for UartError {}

impl embedded_io::Error for UartError {
    fn kind(&self) -> ErrorKind {
        match self {
            UartError::Overrun => ErrorKind::Other,
            UartError::Unplugged => ErrorKind::NotConnected,
        }
    }
}

/// A UART over a pipe; a read fails with the next queued fault, if any.
struct FakeUart {
    end: End,
    faults: Rc<RefCell<VecDeque<UartError>>>,
    /// Bytes handed to the server so far.
    delivered: Rc<Cell<usize>>,
}

impl FakeUart {
    fn new(end: End) -> Self {
        FakeUart { end, faults: Rc::default(), delivered: Rc::default() }
    }
}

impl ErrorType for FakeUart {
    type Error = UartError;
}

impl Read for FakeUart {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, UartError> {
        // Checked on every poll, so a fault injected while the server waits
        // for input is reported before the bytes that follow it.
        loop {
            if let Some(fault) = self.faults.borrow_mut().pop_front() {
                return Err(fault);
            }
            if let Some(read) = poll_once(self.end.read(buf)).await {
                let n = read.map_err(|_| UartError::Unplugged)?;
                self.delivered.set(self.delivered.get() + n);
                return Ok(n);
            }
            yield_now().await;
        }
    }
}

impl Write for FakeUart {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, UartError> {
        self.end.write(buf).await.map_err(|_| UartError::Unplugged)
    }

    async fn flush(&mut self) -> Result<(), UartError> {
        Ok(())
    }
}

/// Sends `bytes` and waits until the server has read them all.
async fn send_and_wait(c: &mut Client, delivered: &Cell<usize>, bytes: &[u8]) {
    let target = delivered.get() + bytes.len();
    c.send_raw(bytes).await;
    while delivered.get() < target {
        yield_now().await;
    }
}

#[test]
fn an_overrun_mid_line_drops_that_line_and_keeps_the_session() {
    let fx = fixture();
    let (server_end, client_end) = duplex(64 * 1024);
    let uart = FakeUart::new(server_end);
    let (faults, delivered) = (uart.faults.clone(), uart.delivered.clone());
    let small = fx.records.small;
    let server = fx.server.serve_many([Link::new(uart)]);
    let client = async {
        let mut c = Client::new(client_end);
        assert_eq!(c.hello().await["version"], "1.0");
        let sub = c.ok("record.subscribe", json!({"name": "test.small", "send_initial": false})).await;
        // Half a request arrives, then the UART overruns, then the rest.
        send_and_wait(&mut c, &delivered, br#"{"id":50,"method":"pi"#).await;
        faults.borrow_mut().push_back(UartError::Overrun);
        while !faults.borrow().is_empty() {
            yield_now().await;
        }
        // Glued to the first half this would be a valid ping with id 50:
        // the reply below would then be out of order.
        send_and_wait(&mut c, &delivered, b"ng\"}\n").await;
        // Still greeted: no "expected hello", and the next request is the
        // next reply.
        assert_eq!(c.ok("ping", json!({})).await["pong"], true);
        // Still subscribed.
        small.publish(7);
        let event = c.next_event().await;
        assert_eq!((&event["subscription_id"], &event["data"]), (&sub["subscription_id"], &json!(7)));
    };
    block_on(zip(server, client));
    // The client's end was dropped: the link ended once, after one session.
    assert_eq!(fx.server.stats().sessions_total, 1);
}

#[test]
fn a_link_that_is_gone_ends_the_session_with_its_error_kind() {
    let fx = fixture();
    let (server_end, client_end) = duplex(64 * 1024);
    let uart = FakeUart::new(server_end);
    let faults = uart.faults.clone();
    let ends = Rc::new(RefCell::new(Vec::new()));
    let server = fx.server.serve_many([Once { uart: Some(uart), ends: ends.clone() }]);
    let client = async {
        let mut c = Client::new(client_end);
        c.hello().await;
        faults.borrow_mut().push_back(UartError::Unplugged);
        assert!(c.closed().await);
    };
    block_on(zip(server, client));
    assert_eq!(*ends.borrow(), [SessionEnd::ReadError(ErrorKind::NotConnected)]);
    assert_eq!(ends.borrow()[0].to_string(), "reading from the stream failed: NotConnected");
}

#[test]
fn a_uart_that_only_fails_still_ends_the_session() {
    let fx = fixture();
    let (server_end, client_end) = duplex(64 * 1024);
    let uart = FakeUart::new(server_end);
    let faults = uart.faults.clone();
    faults.borrow_mut().extend([UartError::Overrun; 100]);
    let ends = Rc::new(RefCell::new(Vec::new()));
    let server = fx.server.serve_many([Once { uart: Some(uart), ends: ends.clone() }]);
    block_on(server);
    drop(client_end);
    assert_eq!(*ends.borrow(), [SessionEnd::ReadError(ErrorKind::Other)]);
    // It gave up after a few errors in a row, not after all of them.
    assert!(faults.borrow().len() > 80, "{} faults left", faults.borrow().len());
}

#[test]
fn outside_a_link_a_read_error_ends_the_session_with_its_kind() {
    let fx = fixture();
    let (server_end, client_end) = duplex(64 * 1024);
    let uart = FakeUart::new(server_end);
    uart.faults.borrow_mut().push_back(UartError::Overrun);
    let end = block_on(fx.server.serve(uart));
    drop(client_end);
    assert_eq!(end, SessionEnd::ReadError(ErrorKind::Other));
}

/// Serves one UART as a `Link` would (same recovery), then retires.
struct Once {
    uart: Option<FakeUart>,
    ends: Rc<RefCell<Vec<SessionEnd>>>,
}

impl Accept for Once {
    type Stream<'a> = FakeUart;

    async fn accept(&mut self) -> Option<FakeUart> {
        self.uart.take()
    }

    async fn ended(&mut self, end: SessionEnd) {
        self.ends.borrow_mut().push(end);
    }

    fn recoverable(kind: ErrorKind) -> bool {
        <Link<FakeUart> as Accept>::recoverable(kind)
    }
}
