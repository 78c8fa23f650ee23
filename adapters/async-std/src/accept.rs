//! One accept loop for any `futures-io` listener: async-std's and smol's
//! TCP and Unix listeners all fit [`Incoming`].

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aimx::server::SessionNote;
use aimx::{Server, Spawn};
use embedded_io_adapters::futures_03::FromFutures;
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::future::or;

use crate::IoClock;

/// A listener: yields connected streams and a description of the peer.
pub trait Incoming {
    /// The connected stream.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Waits for the next connection.
    fn next(&mut self) -> impl Future<Output = io::Result<(Self::Stream, String)>>;
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Serves every connection `incoming` yields, each in a task of `spawner`,
/// until accepting fails. The server's `max_sessions` applies: the
/// connection over the limit gets `too_many_sessions` and is closed.
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
    mut incoming: I,
    spawner: Sp,
    notes: fn(SessionNote<'_>),
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    I: Incoming,
    Sp: Spawn,
{
    let mut stop = pin!(stop);
    loop {
        let next = async { Some(incoming.next().await) };
        let stopped = async {
            (&mut stop).await;
            None
        };
        let Some(accepted) = or(next, stopped).await else { return Ok(()) };
        let (stream, peer) = accepted?;
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        notes(SessionNote::Opened { id, peer: &peer });
        spawner
            .spawn(async move {
                let end = server.serve(FromFutures::new(stream)).await;
                notes(SessionNote::Closed { id, end });
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
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
        async fn next(&mut self) -> io::Result<(Self::Stream, String)> {
            let (stream, peer) = self.accept().await?;
            stream.set_nodelay(true)?;
            Ok((stream, format!("tcp {peer}")))
        }
    }

    impl Incoming for async_std::os::unix::net::UnixListener {
        type Stream = async_std::os::unix::net::UnixStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, String)> {
            let (stream, _) = self.accept().await?;
            Ok((stream, "unix".to_owned()))
        }
    }
}

#[cfg(feature = "smol")]
mod smol_listeners {
    use super::*;

    impl Incoming for smol::net::TcpListener {
        type Stream = smol::net::TcpStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, String)> {
            let (stream, peer) = self.accept().await?;
            stream.set_nodelay(true)?;
            Ok((stream, format!("tcp {peer}")))
        }
    }

    impl Incoming for smol::net::unix::UnixListener {
        type Stream = smol::net::unix::UnixStream;
        async fn next(&mut self) -> io::Result<(Self::Stream, String)> {
            let (stream, _) = self.accept().await?;
            Ok((stream, "unix".to_owned()))
        }
    }
}
