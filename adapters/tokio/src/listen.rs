//! Accept loops: one spawned task per session, through [`aimx::Spawn`].
//!
//! They never end on a passing `accept()` error (out of file descriptors,
//! a connection aborted while queued): they report it, wait a little and go
//! on. Every session ends with a graceful close (see [`close_gracefully`]).

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aimx::server::SessionNote;
use aimx::{Server, SessionEnd, Spawn};
use aimx_std_net::reply_pool::{pools, Pools};
use aimx_std_net::tls::bound_send_buffer;
use aimx_std_net::{accept_error, keepalive, over_limit_line, Pass, PeerLimits, Peers};
use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;

use crate::{TokioClock, TokioSpawner};

type Notes = Arc<dyn Fn(SessionNote<'_>) + Send + Sync>;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// How long a closing connection may take to drain what the peer still sends.
const LINGER: Duration = Duration::from_secs(1);
/// At most this much is read (and discarded) while draining.
const LINGER_BYTES: usize = 64 * 1024;

/// How the TCP accept loop treats connections.
#[derive(Clone)]
pub struct TcpOptions {
    /// Per-address cap and failed-hello back-off.
    pub peers: PeerLimits,
    /// TCP keep-alive (on by default: a vanished peer frees its slot in
    /// about 90 s).
    pub keepalive: bool,
    /// Serve TLS with this rustls config instead of plain TCP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Close a greeted session with no subscription that sends nothing for
    /// this long (`None` or zero: never). Default
    /// [`DEFAULT_IDLE_TIMEOUT`](aimx_std_net::DEFAULT_IDLE_TIMEOUT), 5
    /// minutes; it replaces the server's `Config::idle_timeout_ms` for TCP
    /// sessions.
    pub idle_timeout: Option<Duration>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            peers: PeerLimits::default(),
            keepalive: true,
            tls: None,
            idle_timeout: Some(aimx_std_net::DEFAULT_IDLE_TIMEOUT),
        }
    }
}

impl TcpOptions {
    /// Plain TCP with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve TLS with `config` (e.g. from
    /// [`aimx_std_net::tls::server_config_from_files`]).
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Use these per-address limits.
    pub fn peers(mut self, limits: PeerLimits) -> Self {
        self.peers = limits;
        self
    }

    /// Close idle sessions after `timeout` (`None`: never).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }
}

/// Ends a connection so that what was written reaches the peer: shut down
/// the write side (FIN, or TLS close_notify then FIN), then read and discard
/// whatever the peer still sends until it closes, for at most one second.
/// Closing with unread input instead would send a reset, and the peer could
/// lose the last reply (a refusal such as `too_many_sessions`) with it.
pub async fn close_gracefully<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let drain = async {
        if stream.shutdown().await.is_err() {
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
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Sends `line` (a refusal) and closes gracefully.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, line: &[u8]) {
    let _ = tokio::time::timeout(LINGER, stream.write_all(line)).await;
    close_gracefully(&mut stream).await;
}

/// Serves the session (with `idle_ms` as its idle timeout, or the server's
/// own when `None`), reports its end, then closes gracefully.
///
/// Takes the stream by reference and is not an `async fn`: an `async fn`
/// keeps its arguments twice in its state (as passed, and as moved into
/// its body), and the caller's task would keep a stream it moved in a third
/// time (issue 11: per-session RSS; this saved 152 B per session task).
// An `async fn` would keep the arguments twice (see above).
#[allow(clippy::manual_async_fn)]
fn serve_then_close<'a, S, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    pools: Option<&'static Pools<LINE, OUT>>,
    stream: &'a mut S,
    idle_ms: Option<u64>,
    ended: &'a (dyn Fn(SessionEnd) + Sync),
) -> impl Future<Output = ()> + 'a
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async move {
        // One call, not `serve` for `None`: the task is sized for the larger
        // of two futures awaited in different arms (`serve` is 32 B larger).
        let ms = idle_ms.unwrap_or(server.config().idle_timeout_ms);
        let end = match pools {
            // The reply buffer and the line reader from the server's pools,
            // held only while the session has something to write or part of
            // a line (issue 11: ~2 KiB per session).
            Some(pools) => server.serve_pooled(FromTokio::new(&mut *stream), ms, &pools.replies, &pools.readers).await,
            // No pool (see `pools`): buffers of its own, boxed so that the
            // pooled sessions' tasks are not sized for them.
            None => Box::pin(server.serve_idle(FromTokio::new(&mut *stream), ms)).await,
        };
        ended(end);
        close_gracefully(stream).await;
    }
}

#[allow(clippy::too_many_arguments)] // what each accept loop hands over, once per connection
fn spawn_session<S, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    pools: Option<&'static Pools<LINE, OUT>>,
    mut stream: S,
    peer: String,
    pass: Pass,
    tls: Option<TlsAcceptor>,
    idle_ms: Option<u64>,
    notes: Notes,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    notes(SessionNote::Opened { id, peer: &peer });
    let spawned = TokioSpawner.spawn(async move {
        // A peer that got its token wrong too often waits its turn.
        if !pass.wait().is_zero() {
            tokio::time::sleep(pass.wait()).await;
        }
        let ended = |end| {
            pass.ended(end);
            notes(SessionNote::Closed { id, end });
        };
        match tls {
            None => serve_then_close(server, pools, &mut stream, idle_ms, &ended).await,
            // Boxed: the TLS stream and its handshake future are larger than
            // a plain session, and every plain session's task would
            // otherwise be sized for them (issue 11: per-session RSS).
            Some(acceptor) => {
                Box::pin(async {
                    // The TLS handshake counts against the hello deadline too.
                    let limit = Duration::from_millis(server.config().handshake_timeout_ms);
                    match tokio::time::timeout(limit, acceptor.accept_with(stream, bound_send_buffer)).await {
                        Ok(Ok(mut tls)) => serve_then_close(server, pools, &mut tls, idle_ms, &ended).await,
                        Ok(Err(e)) => {
                            let reason = format!("TLS handshake failed: {e}");
                            notes(SessionNote::Dropped { id, reason: &reason });
                        }
                        Err(_) => notes(SessionNote::Dropped { id, reason: "TLS handshake timed out" }),
                    }
                })
                .await
            }
        }
    });
    // Only fails outside a runtime, and the accept loops run inside one.
    spawned.expect("spawned from inside a tokio runtime");
}

/// Waits out a failed accept: `Err` when the error is fatal, `Ok(true)` when
/// `stop` completed meanwhile.
async fn after_accept_error(
    error: io::Error,
    backoff: &mut accept_error::Backoff,
    notes: &Notes,
    stop: &mut (impl Future<Output = ()> + Unpin),
) -> io::Result<bool> {
    if !accept_error::is_transient(&error) {
        return Err(error);
    }
    let delay = backoff.next_delay();
    notes(SessionNote::AcceptFailed { error: &error.to_string(), retry_ms: delay.as_millis() as u64 });
    tokio::select! {
        () = tokio::time::sleep(delay) => Ok(false),
        () = stop => Ok(true),
    }
}

/// Serves every connection accepted on `listener`, each in its own task,
/// with the default [`TcpOptions`]. `notes` hears of every session opening
/// and closing. Returns only on a fatal accept error.
pub async fn serve_tcp<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    listener: TcpListener,
    notes: impl Fn(SessionNote<'_>) + Send + Sync + 'static,
) -> io::Result<()> {
    serve_tcp_until(server, listener, notes, std::future::pending()).await
}

/// Like [`serve_tcp`], but stops accepting when `stop` completes (then use
/// [`shutdown`] to end the open sessions).
pub async fn serve_tcp_until<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    listener: TcpListener,
    notes: impl Fn(SessionNote<'_>) + Send + Sync + 'static,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    serve_tcp_with(server, listener, TcpOptions::default(), notes, stop).await
}

/// Like [`serve_tcp_until`], with `options` (TLS, per-address limits,
/// keep-alive, idle timeout).
pub async fn serve_tcp_with<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    listener: TcpListener,
    options: TcpOptions,
    notes: impl Fn(SessionNote<'_>) + Send + Sync + 'static,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    server.mark_started();
    let notes: Notes = Arc::new(notes);
    let peers = Peers::new(options.peers);
    let tls = options.tls.map(TlsAcceptor::from);
    let idle_ms = Some(aimx_std_net::idle::idle_ms(options.idle_timeout));
    let pools = pools(server);
    let mut backoff = accept_error::Backoff::default();
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => return Ok(()),
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                if after_accept_error(error, &mut backoff, &notes, &mut stop).await? {
                    return Ok(());
                }
                continue;
            }
        };
        backoff.reset();
        // Best effort: a socket that refuses options is still served.
        let _ = if options.keepalive { keepalive::enable(&stream) } else { stream.set_nodelay(true) };
        let peer = format!("tcp {addr}");
        match peers.admit(Some(addr.ip())) {
            Ok(pass) => spawn_session(server, pools, stream, peer, pass, tls.clone(), idle_ms, notes.clone()),
            Err(_) => {
                notes(SessionNote::PeerOverLimit { peer: &peer });
                let line = over_limit_line(options.peers.max_per_peer);
                let (tls, limit) = (tls.clone(), Duration::from_millis(server.config().handshake_timeout_ms));
                // On a TLS port the refusal goes inside TLS, where the client reads it.
                tokio::spawn(async move {
                    match tls {
                        None => refuse(stream, &line).await,
                        Some(acceptor) => {
                            if let Ok(Ok(stream)) =
                                tokio::time::timeout(limit, acceptor.accept_with(stream, bound_send_buffer)).await
                            {
                                refuse(stream, &line).await;
                            }
                        }
                    }
                });
            }
        }
    }
}

/// Serves every connection accepted on a Unix socket, each in its own task.
/// Its sessions keep the server's `Config::idle_timeout_ms` (local peers;
/// see [`aimx_std_net::idle`]). Returns only on a fatal accept error.
pub async fn serve_unix<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    listener: UnixListener,
    notes: impl Fn(SessionNote<'_>) + Send + Sync + 'static,
) -> io::Result<()> {
    serve_unix_until(server, listener, notes, std::future::pending()).await
}

/// Like [`serve_unix`], but stops accepting when `stop` completes.
pub async fn serve_unix_until<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    listener: UnixListener,
    notes: impl Fn(SessionNote<'_>) + Send + Sync + 'static,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    server.mark_started();
    let notes: Notes = Arc::new(notes);
    // Unix peers are local and unnamed: not tracked per address.
    let peers = Peers::new(PeerLimits::default());
    let path = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_pathname().map(PathBuf::from))
        .map_or_else(|| "unix".to_owned(), |p| format!("unix {}", p.display()));
    let pools = pools(server);
    let mut backoff = accept_error::Backoff::default();
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => return Ok(()),
        };
        match accepted {
            Ok((stream, _)) => {
                backoff.reset();
                let pass = peers.admit(None).expect("untracked peers are always admitted");
                spawn_session(server, pools, stream, path.clone(), pass, None, None, notes.clone());
            }
            Err(error) => {
                if after_accept_error(error, &mut backoff, &notes, &mut stop).await? {
                    return Ok(());
                }
            }
        }
    }
}

/// Graceful shutdown, after the accept loops have stopped: every session
/// finishes the replies it is writing and closes; waits at most `grace`.
/// Returns how many sessions were still open at the end (stuck in a write
/// to a peer that stopped reading; their write deadline ends them later).
pub async fn shutdown<const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, TokioClock, SUBS, LINE, OUT>,
    grace: Duration,
) -> u64 {
    server.shutdown();
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        let open = server.stats().sessions_open;
        if open == 0 || tokio::time::Instant::now() >= deadline {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
