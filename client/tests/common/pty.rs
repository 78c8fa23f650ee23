//! A pseudo-terminal pair standing in for a serial device: the demo server
//! serves the master side; the client opens the slave by its path like a
//! real port.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::demo::{runtime, DemoServer};

/// A device on a pseudo-terminal. Holding `slave` keeps the terminal alive
/// while no client has it open, as a USB CDC-ACM device stays plugged in.
pub struct PtyDevice {
    pub path: String,
    pub slave: OwnedFd,
}

impl PtyDevice {
    /// Writes raw bytes towards the device, as a confused host tool would.
    pub fn inject(&self, bytes: &[u8]) {
        let n = unsafe { libc::write(self.slave.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n, bytes.len() as isize);
    }
}

/// Opens a pty pair and serves one AimX session after another on its master.
pub fn serve(server: &'static DemoServer) -> PtyDevice {
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    let rc = unsafe { libc::openpty(&mut master, &mut slave, name.as_mut_ptr(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // Raw mode: no echo (the server would read its own replies) and no line
    // discipline; the client sets this again on open, as for any port.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut tio), 0);
        libc::cfmakeraw(&mut tio);
        assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &tio), 0);
        let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
        assert_eq!(libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK), 0);
    }
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
    runtime().spawn(async move {
        // SAFETY: `master` is owned here and used only through this AsyncFd.
        let master = unsafe { AsyncFd::register(master) }.unwrap_or_else(|_| panic!("register the pty master"));
        let mut stream = FromTokio::new(PtyMaster(master));
        // A session ends on its handshake deadline while no tool has the
        // port open; the device simply serves the next one.
        loop {
            server.serve(&mut stream).await;
        }
    });
    PtyDevice { path, slave }
}

/// The master side as a tokio stream (non-blocking fd on the reactor).
struct PtyMaster(AsyncFd<OwnedFd>);

impl AsyncRead for PtyMaster {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let result = guard.try_io(|fd| {
                let n = unsafe { libc::read(fd.as_raw_fd(), unfilled.as_mut_ptr().cast(), unfilled.len()) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match result {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyMaster {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.0.poll_write_ready(cx))?;
            let result = guard.try_io(|fd| {
                let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            if let Ok(result) = result {
                return Poll::Ready(result);
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
