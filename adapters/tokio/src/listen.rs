//! Accept loops: one spawned task per session, through [`aimx::Spawn`].

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aimx::server::SessionNote;
use aimx::{Server, Spawn};
use embedded_io_adapters::tokio_1::FromTokio;
use tokio::net::{TcpListener, UnixListener};

use crate::{TokioClock, TokioSpawner};

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

fn spawn_session<S, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, TokioClock, SUBS, LINE, OUT>,
    stream: S,
    peer: String,
    notes: Arc<dyn Fn(SessionNote<'_>) + Send + Sync>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    notes(SessionNote::Opened { id, peer: &peer });
    let spawned = TokioSpawner.spawn(async move {
        let end = server.serve(FromTokio::new(stream)).await;
        notes(SessionNote::Closed { id, end });
    });
    // Only fails outside a runtime, and the accept loops run inside one.
    spawned.expect("spawned from inside a tokio runtime");
}

/// Serves every connection accepted on `listener`, each in its own task,
/// until accepting fails. `notes` hears of every session opening and closing.
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
    let notes: Arc<dyn Fn(SessionNote<'_>) + Send + Sync> = Arc::new(notes);
    let mut stop = pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stop => return Ok(()),
        };
        stream.set_nodelay(true)?;
        spawn_session(server, stream, format!("tcp {peer}"), notes.clone());
    }
}

/// Serves every connection accepted on a Unix socket, each in its own task,
/// until accepting fails.
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
    let notes: Arc<dyn Fn(SessionNote<'_>) + Send + Sync> = Arc::new(notes);
    let path = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_pathname().map(PathBuf::from))
        .map_or_else(|| "unix".to_owned(), |p| format!("unix {}", p.display()));
    let mut stop = pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stop => return Ok(()),
        };
        spawn_session(server, stream, path.clone(), notes.clone());
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
