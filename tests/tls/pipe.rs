//! A pipe with TLS in it, for the conformance suite over TLS.
//!
//! [`duplex`] gives the server an [`End`] that is a `futures-rustls` server
//! stream wrapped in the embedded-io adapter, exactly what the async-std and
//! smol accept loops serve, over an in-memory pipe of ciphertext. On the
//! other side a `futures-rustls` client stream carries the bytes of the
//! suite's scripted client (an `aimx_testing::End`, plain) to and from it,
//! in a task of its own. The handshake runs in that task as soon as the
//! pipe is made, as a TCP peer finishes TLS before saying anything: a
//! "silent" connection in a test is one that completed TLS and said nothing.
//!
//! The tasks run on a local executor of the test's thread ([`run`]).

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use aimx_std_net::rustls::{ClientConfig, ServerConfig};
use aimx_std_net::test_pki::{client_config, localhost, Ca};
use aimx_std_net::tls::bound_send_buffer;
use embedded_io_adapters::futures_03::FromFutures;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures_rustls::{client, server, TlsAcceptor, TlsConnector};

thread_local! {
    static EXECUTOR: smol::LocalExecutor<'static> = const { smol::LocalExecutor::new() };
}

/// Runs `test` to completion, with the pipes' tasks beside it.
pub fn run(test: impl Future<Output = ()>) {
    EXECUTOR.with(|executor| smol::block_on(executor.run(test)))
}

/// One CA and both ends' configs for the whole test binary. The server's is
/// the accept loops' own (`aimx_std_net::tls::server_config`).
fn configs() -> &'static (Arc<ServerConfig>, Arc<ClientConfig>) {
    static CONFIGS: OnceLock<(Arc<ServerConfig>, Arc<ClientConfig>)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let ca = Ca::new("aimx conformance CA");
        (ca.server_config(false), client_config(&ca.cert(), None))
    })
}

/// A TLS pipe: the server's end, and the scripted client's plain end.
/// `capacity` bounds each direction of both pipes (ciphertext, and the
/// client's plaintext), so a peer that does not read holds the server up
/// as on the plain pipe.
pub fn duplex(capacity: usize) -> (End, aimx_testing::End) {
    let (server_io, client_io) = aimx_testing::duplex(capacity);
    let (relay_end, client_end) = aimx_testing::duplex(capacity);
    let handoff = Rc::new(RefCell::new(Handoff::default()));
    let task = connection(Io(server_io), Io(client_io), Io(relay_end), handoff.clone());
    EXECUTOR.with(|executor| executor.spawn(task).detach());
    (End { state: State::Waiting(handoff) }, client_end)
}

/// Both handshakes; the client side carries the scripted client's bytes as
/// soon as its own is done. (The server's handshake ends by flushing its
/// session tickets, which only the client side's reading can make room for
/// in a small pipe.) The server's stream is handed to its [`End`]; when
/// that end is gone (dropped before it read), the stream is dropped here.
async fn connection(server_io: Io, client_io: Io, plain: Io, handoff: Rc<RefCell<Handoff>>) {
    let (server_config, client_config) = configs();
    let accept = TlsAcceptor::from(server_config.clone()).accept_with(server_io, bound_send_buffer);
    let connect = TlsConnector::from(client_config.clone()).connect(localhost(), client_io);
    let server_side = async move {
        let server = accept.await.expect("the server's handshake in memory");
        let waker = {
            let mut handoff = handoff.borrow_mut();
            handoff.stream = Some(server);
            handoff.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    let client_side = async {
        let client = connect.await.expect("the client's handshake in memory");
        carry(client, plain).await;
    };
    futures_lite::future::zip(server_side, client_side).await;
}

/// Plaintext from the scripted client goes out through TLS; what TLS brings
/// in goes to the client. When the client hangs up, TLS says close_notify
/// (a clean end of stream for the server); when the server's end closes,
/// the client's pipe closes after the last bytes.
async fn carry(tls: client::TlsStream<Io>, plain: Io) {
    let (mut tls_rx, mut tls_tx) = futures_lite::io::split(tls);
    let (mut plain_rx, mut plain_tx) = futures_lite::io::split(plain);
    let out = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            match plain_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tls_tx.write_all(&buf[..n]).await.is_err() || tls_tx.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tls_tx.close().await;
    };
    let back = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            match tls_rx.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if plain_tx.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    // Done when nothing more comes back; the way out may end first.
    futures_lite::future::or(back, async {
        out.await;
        std::future::pending::<()>().await
    })
    .await;
}

/// The server's stream, until the handshake task hands it over.
#[derive(Default)]
struct Handoff {
    stream: Option<server::TlsStream<Io>>,
    waker: Option<Waker>,
}

enum State {
    Waiting(Rc<RefCell<Handoff>>),
    Ready(Box<FromFutures<server::TlsStream<Io>>>),
}

/// The server's end of a TLS pipe: a `futures-rustls` server stream in the
/// embedded-io adapter, once the handshake is done (reads and writes wait
/// for it).
pub struct End {
    state: State,
}

impl End {
    /// The TLS stream; waits for the handshake. Cancel-safe: the state
    /// changes only when the stream is there.
    async fn stream(&mut self) -> &mut FromFutures<server::TlsStream<Io>> {
        if let State::Waiting(handoff) = &self.state {
            let stream = std::future::poll_fn(|cx| {
                let mut handoff = handoff.borrow_mut();
                match handoff.stream.take() {
                    Some(stream) => Poll::Ready(stream),
                    None => {
                        handoff.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await;
            self.state = State::Ready(Box::new(FromFutures::new(stream)));
        }
        match &mut self.state {
            State::Ready(stream) => stream,
            State::Waiting(_) => unreachable!("set just above"),
        }
    }
}

impl Drop for End {
    /// Closes as the accept loops do (close_notify, then the end of the
    /// stream), without waiting: what does not fit the pipe now is lost, as
    /// on a socket closed with unread data.
    fn drop(&mut self) {
        if let State::Ready(stream) = &mut self.state {
            let mut cx = Context::from_waker(Waker::noop());
            let _ = Pin::new(stream.inner_mut()).poll_close(&mut cx);
        }
    }
}

impl embedded_io_async::ErrorType for End {
    type Error = io::Error;
}

impl embedded_io_async::Read for End {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        embedded_io_async::Read::read(self.stream().await, buf).await
    }
}

impl embedded_io_async::Write for End {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        embedded_io_async::Write::write(self.stream().await, buf).await
    }

    async fn flush(&mut self) -> Result<(), io::Error> {
        embedded_io_async::Write::flush(self.stream().await).await
    }
}

/// An `aimx_testing` pipe end as a futures-io stream, for TLS to wrap. Each
/// poll makes a fresh read or write future and polls it once: the pipe's
/// futures keep no state between polls (bytes move only in the poll that
/// returns them, and the waker stays registered), so this is exact.
struct Io(aimx_testing::End);

fn std_error(kind: embedded_io::ErrorKind) -> io::Error {
    match kind {
        embedded_io::ErrorKind::BrokenPipe => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::other(format!("{other:?}")),
    }
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let read = embedded_io_async::Read::read(&mut self.get_mut().0, buf);
        pin!(read).poll(cx).map_err(std_error)
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let write = embedded_io_async::Write::write(&mut self.get_mut().0, buf);
        pin!(write).poll(cx).map_err(std_error)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The pipe closes when its end is dropped.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
