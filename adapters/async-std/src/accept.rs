//! One accept loop for any `futures-io` listener: async-std's and smol's
//! TCP and Unix listeners all fit [`Incoming`]. With a rustls config in
//! [`ServeOptions::tls()`], each connection is a TLS stream to the session:
//! the handshake runs on the session's own task, within the server's hello
//! deadline, before the session takes a place.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aimx::server::SessionNote;
use aimx::{Server, SessionEnd, Spawn};
use aimx_std_net::reply_pool::{pools, Pools};
use aimx_std_net::tls::bound_send_buffer;
use aimx_std_net::{accept_error, over_limit_line, rustls, PeerLimits, Peers};
use embedded_io_adapters::futures_03::FromFutures;
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::future::or;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsAcceptor;

use crate::IoClock;

/// A listener: yields connected streams and who is at the other end.
pub trait Incoming {
    /// The connected stream.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Waits for the next connection.
    fn next(&mut self) -> impl Future<Output = io::Result<(Self::Stream, Peer)>>;
}

/// Who connected.
#[derive(Debug, Clone)]
pub struct Peer {
    /// For logs, e.g. `tcp 127.0.0.1:50312`.
    pub name: String,
    /// The address per-address limits apply to (`None`: not tracked, e.g. a
    /// Unix socket).
    pub ip: Option<IpAddr>,
}

/// How the accept loop treats connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Per-address cap and failed-hello back-off.
    pub peers: PeerLimits,
    /// Close a greeted session of a network peer (one with an address: TCP)
    /// that has no subscription and sends nothing for this long (`None` or
    /// zero: never). Default
    /// [`DEFAULT_IDLE_TIMEOUT`](aimx_std_net::DEFAULT_IDLE_TIMEOUT), 5
    /// minutes. Unix peers keep the server's `Config::idle_timeout_ms`.
    pub idle_timeout: Option<Duration>,
    /// Serve TLS with this rustls config instead of the plain stream.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions { peers: PeerLimits::default(), idle_timeout: Some(aimx_std_net::DEFAULT_IDLE_TIMEOUT), tls: None }
    }
}

impl ServeOptions {
    /// Plain streams with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve TLS with `config` (e.g. from
    /// [`tls::server_config_from_files`](crate::tls::server_config_from_files)).
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Use these per-address limits.
    pub fn peers(mut self, limits: PeerLimits) -> Self {
        self.peers = limits;
        self
    }
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// How long a closing connection may take to drain what the peer still sends.
const LINGER: Duration = Duration::from_secs(1);
/// At most this much is read (and discarded) while draining.
const LINGER_BYTES: usize = 64 * 1024;

/// Ends a connection so that what was written reaches the peer: close the
/// write side, then read and discard what the peer still sends until it
/// closes, for at most one second. Closing with unread input instead would
/// send a reset, and the peer could lose the last reply with it.
pub async fn close_gracefully<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let drain = async {
        if stream.close().await.is_err() {
            return;
        }
        let mut buf = [0u8; 1024];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let timeout = async {
        async_io::Timer::after(LINGER).await;
    };
    or(drain, timeout).await;
}

/// The server side of a TLS handshake on `stream`, given at most `limit`: a
/// peer that opens the connection and never finishes the handshake is
/// dropped then, and meanwhile holds only its own task, not a session place.
async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    acceptor: &TlsAcceptor,
    stream: S,
    limit: Duration,
) -> Result<futures_rustls::server::TlsStream<S>, String> {
    let accept = async {
        acceptor.accept_with(stream, bound_send_buffer).await.map_err(|e| format!("TLS handshake failed: {e}"))
    };
    let timeout = async {
        async_io::Timer::after(limit).await;
        Err("TLS handshake timed out".to_owned())
    };
    or(accept, timeout).await
}

/// Sends `line` (a refusal) and closes gracefully.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, line: &[u8]) {
    let _ = stream.write_all(line).await;
    close_gracefully(&mut stream).await;
}

/// Serves every connection `incoming` yields, each in a task of `spawner`.
/// The server's `max_sessions` applies: the connection over the limit gets
/// `too_many_sessions` and is closed. Passing accept errors (out of file
/// descriptors…) are reported and waited out; returns only on a fatal one.
pub async fn serve_incoming<I, Sp, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, IoClock, SUBS, LINE, OUT>,
    incoming: I,
    spawner: Sp,
    notes: fn(SessionNote<'_>),
) -> io::Result<()>
where
    I: Incoming,
    Sp: Spawn,
{
    serve_incoming_until(server, incoming, spawner, notes, std::future::pending()).await
}

/// Like [`serve_incoming`], but stops accepting when `stop` completes (then
/// use [`shutdown`] to end the open sessions).
pub async fn serve_incoming_until<I, Sp, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, IoClock, SUBS, LINE, OUT>,
    incoming: I,
    spawner: Sp,
    notes: fn(SessionNote<'_>),
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    I: Incoming,
    Sp: Spawn,
{
    serve_incoming_with(server, incoming, spawner, ServeOptions::default(), notes, stop).await
}

/// Like [`serve_incoming_until`], with `options`.
pub async fn serve_incoming_with<I, Sp, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, IoClock, SUBS, LINE, OUT>,
    mut incoming: I,
    spawner: Sp,
    options: ServeOptions,
    notes: fn(SessionNote<'_>),
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    I: Incoming,
    Sp: Spawn,
{
    server.mark_started();
    let peers = Peers::new(options.peers);
    let idle_ms = aimx_std_net::idle::idle_ms(options.idle_timeout);
    let acceptor = options.tls.map(TlsAcceptor::from);
    // The TLS handshake counts against the hello deadline too.
    let handshake_limit = Duration::from_millis(server.config().handshake_timeout_ms);
    let pools = pools(server);
    let mut backoff = accept_error::Backoff::default();
    let mut stop = pin!(stop);
    loop {
        let next = async { Some(incoming.next().await) };
        let stopped = async {
            (&mut stop).await;
            None
        };
        let Some(accepted) = or(next, stopped).await else { return Ok(()) };
        let (mut stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if accept_error::is_transient(&error) => {
                let delay = backoff.next_delay();
                notes(SessionNote::AcceptFailed { error: &error.to_string(), retry_ms: delay.as_millis() as u64 });
                let waited = async {
                    async_io::Timer::after(delay).await;
                    false
                };
                let stopped = async {
                    (&mut stop).await;
                    true
                };
                if or(waited, stopped).await {
                    return Ok(());
                }
                continue;
            }
            Err(error) => return Err(error),
        };
        backoff.reset();
        let acceptor = acceptor.clone();
        let Ok(pass) = peers.admit(peer.ip) else {
            notes(SessionNote::PeerOverLimit { peer: &peer.name });
            let line = over_limit_line(options.peers.max_per_peer);
            // Best effort: a full task pool just drops the connection. On a
            // TLS port the refusal goes inside TLS, where the client reads it.
            let _ = spawner.spawn(async move {
                match acceptor {
                    None => refuse(stream, &line).await,
                    Some(acceptor) => {
                        if let Ok(tls) = handshake(&acceptor, stream, handshake_limit).await {
                            refuse(tls, &line).await;
                        }
                    }
                }
            });
            continue;
        };
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        notes(SessionNote::Opened { id, peer: &peer.name });
        let network = peer.ip.is_some();
        spawner
            .spawn(async move {
                // A peer that got its token wrong too often waits its turn.
                if !pass.wait().is_zero() {
                    async_io::Timer::after(pass.wait()).await;
                }
                let ended = |end| {
                    pass.ended(end);
                    notes(SessionNote::Closed { id, end });
                };
                let idle_ms = network.then_some(idle_ms);
                match acceptor {
                    None => serve_then_close(server, pools, &mut stream, idle_ms, &ended).await,
                    // Boxed: the TLS stream and its handshake are larger than
                    // a plain session, and every plain session's task would
                    // otherwise be sized for them (issue 11: a smol demo
                    // session's task was 7,960 B, its plain path 4,048 B).
                    Some(acceptor) => {
                        Box::pin(async {
                            match handshake(&acceptor, stream, handshake_limit).await {
                                Ok(mut tls) => serve_then_close(server, pools, &mut tls, idle_ms, &ended).await,
                                Err(reason) => notes(SessionNote::Dropped { id, reason: &reason }),
                            }
                        })
                        .await
                    }
                }
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
}

/// Serves the session (with this idle timeout in ms, or the server's own
/// when `None`), reports its end, then closes gracefully.
///
/// Borrows the stream and is not an `async fn`: an `async fn` keeps its
/// arguments twice in its state (as passed, and as moved into its body),
/// and the session's task would keep a stream moved in a third time. One
/// `serve_idle` call, not `serve` for `None`: the task would be sized for
/// the larger of two futures (issue 11: per-session RAM).
#[allow(clippy::manual_async_fn)]
fn serve_then_close<'a, S, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, IoClock, SUBS, LINE, OUT>,
    pools: Option<&'static Pools<LINE, OUT>>,
    stream: &'a mut S,
    idle_ms: Option<u64>,
    ended: &'a (dyn Fn(SessionEnd) + Sync),
) -> impl Future<Output = ()> + 'a
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async move {
        let ms = idle_ms.unwrap_or(server.config().idle_timeout_ms);
        let end = match pools {
            // The reply buffer and the line reader from the server's pools,
            // held only while the session has something to write or part
            // of a line (issue 11: ~2 KiB per session).
            Some(pools) => {
                server.serve_pooled(FromFutures::new(&mut *stream), ms, &pools.replies, &pools.readers).await
            }
            // No pool (see `pools`): buffers of its own, boxed so that the
            // pooled sessions' tasks are not sized for them.
            None => Box::pin(server.serve_idle(FromFutures::new(&mut *stream), ms)).await,
        };
        ended(end);
        close_gracefully(stream).await;
    }
}

/// Graceful shutdown, after the accept loop stopped: every session finishes
/// the replies it is writing and closes; waits at most `grace`. Returns how
/// many sessions were still open at the end.
pub async fn shutdown<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, IoClock, SUBS, LINE, OUT>,
    grace: Duration,
) -> u64 {
    server.shutdown();
    let deadline = Instant::now() + grace;
    loop {
        let open = server.stats().sessions_open;
        if open == 0 || Instant::now() >= deadline {
            return open;
        }
        async_io::Timer::after(Duration::from_millis(5)).await;
    }
}

#[cfg(feature = "async-std")]
mod async_std_listeners {
    use super::*;

    impl Incoming for async_std::net::TcpListener {
        type Stream = async_std::net::TcpStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, Peer)> {
            let (stream, addr) = self.accept().await?;
            // Best effort: a socket that refuses options is still served.
            let _ = aimx_std_net::keepalive::enable_raw(&stream);
            Ok((stream, Peer { name: format!("tcp {addr}"), ip: Some(addr.ip()) }))
        }
    }

    impl Incoming for async_std::os::unix::net::UnixListener {
        type Stream = async_std::os::unix::net::UnixStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, Peer)> {
            let (stream, _) = self.accept().await?;
            Ok((stream, Peer { name: "unix".to_owned(), ip: None }))
        }
    }
}

#[cfg(feature = "smol")]
mod smol_listeners {
    use super::*;

    impl Incoming for smol::net::TcpListener {
        type Stream = smol::net::TcpStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, Peer)> {
            let (stream, addr) = self.accept().await?;
            // Best effort: a socket that refuses options is still served.
            let _ = aimx_std_net::keepalive::enable(&stream);
            Ok((stream, Peer { name: format!("tcp {addr}"), ip: Some(addr.ip()) }))
        }
    }

    impl Incoming for smol::net::unix::UnixListener {
        type Stream = smol::net::unix::UnixStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, Peer)> {
            let (stream, _) = self.accept().await?;
            Ok((stream, Peer { name: "unix".to_owned(), ip: None }))
        }
    }
}
