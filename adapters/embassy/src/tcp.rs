//! embassy-net TCP: one listening socket per `serve_many` slot.

use aimx::server::Accept;
use aimx::SessionEnd;
use embassy_net::tcp::{State, TcpSocket};
use embassy_net::Stack;
use embassy_time::{with_timeout, Duration};

/// How long a closing connection may take to deliver its last bytes.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection quiet for this long gets a keep-alive probe (by default).
pub const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// A peer that sends nothing for this long (not even the answer to a
/// keep-alive probe) is taken for gone and its connection reset (by
/// default): a peer that vanished without FIN or RST frees its slot.
pub const DEAD_PEER: Duration = Duration::from_secs(90);

/// A `serve_many` slot that accepts TCP connections on `port` with its own
/// socket and buffers: `N` slots serve up to `N` clients at once, and a
/// client arriving while every slot is busy is refused by the stack.
///
/// The socket stays in the acceptor between connections, so the end of a
/// session can close it gracefully (the last reply and a FIN reach the
/// peer) before it listens again.
///
/// Keep-alive is on: a quiet connection is probed every 30 s, and
/// one whose peer answers nothing for 90 s is reset, so a client
/// that lost power or its link frees its slot in about a minute and a half
/// (see [`Self::keep_alive`]).
pub struct TcpAcceptor<'a> {
    socket: TcpSocket<'a>,
    port: u16,
}

impl<'a> TcpAcceptor<'a> {
    /// A slot listening on `port`, with its receive and send buffers.
    pub fn new(stack: Stack<'a>, port: u16, rx_buf: &'a mut [u8], tx_buf: &'a mut [u8]) -> Self {
        TcpAcceptor { socket: TcpSocket::new(stack, rx_buf, tx_buf), port }
            .keep_alive(Some(KEEP_ALIVE), Some(DEAD_PEER))
    }

    /// Probes a quiet connection every `probe` and resets one whose peer
    /// sends nothing for `give_up` (`None`: never). smoltcp keeps both
    /// across connections. `give_up` should be a few `probe`s: a live but
    /// idle peer is heard only through its answers to the probes.
    pub fn keep_alive(mut self, probe: Option<Duration>, give_up: Option<Duration>) -> Self {
        self.socket.set_keep_alive(probe);
        self.socket.set_timeout(give_up);
        self
    }

    /// The socket, e.g. to set a keep-alive or a timeout.
    pub fn socket(&mut self) -> &mut TcpSocket<'a> {
        &mut self.socket
    }
}

impl<'a> Accept for TcpAcceptor<'a> {
    type Stream<'s>
        = &'s mut TcpSocket<'a>
    where
        Self: 's;

    async fn accept(&mut self) -> Option<Self::Stream<'_>> {
        loop {
            if self.socket.state() != State::Closed {
                self.socket.abort();
                let _ = self.socket.flush().await;
            }
            // Only a closed socket can listen, which `abort` ensured; a
            // bad port is a configuration error that retiring reports best.
            match self.socket.accept(self.port).await {
                Ok(()) => return Some(&mut self.socket),
                Err(embassy_net::tcp::AcceptError::InvalidPort) => return None,
                Err(_) => continue,
            }
        }
    }

    async fn ended(&mut self, _end: SessionEnd) {
        self.socket.close();
        let _ = with_timeout(CLOSE_TIMEOUT, self.socket.flush()).await;
        self.socket.abort();
        // The RST goes out on the next poll; `accept`'s `listen` would
        // otherwise forget the peer first and never tell it.
        let _ = with_timeout(CLOSE_TIMEOUT, self.socket.flush()).await;
    }
}
