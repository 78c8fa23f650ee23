//! TCP keep-alive on accepted sockets: a peer that vanished (power cut, cable
//! pulled, no FIN or RST ever coming) or froze stops answering the probes,
//! the kernel resets the connection and the session's read fails, freeing
//! its slot. Without it such a session waits for input forever.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

/// Idle time before the first probe.
pub const IDLE: Duration = Duration::from_secs(30);
/// Time between probes.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// Unanswered probes before the connection is dropped: a dead peer is
/// noticed after 30 s + 6 × 10 s = 90 s.
pub const PROBES: u32 = 6;

/// Turns keep-alive on for an accepted TCP socket (and `TCP_NODELAY`: replies
/// are whole lines, and Nagle would hold the last one back).
pub fn enable<S: std::os::fd::AsFd>(socket: &S) -> io::Result<()> {
    let socket = SockRef::from(socket);
    socket.set_tcp_nodelay(true)?;
    let params = TcpKeepalive::new().with_time(IDLE).with_interval(INTERVAL).with_retries(PROBES);
    socket.set_tcp_keepalive(&params)
}

/// [`enable`] for sockets that only expose a raw descriptor (async-std's).
pub fn enable_raw<S: std::os::fd::AsRawFd>(socket: &S) -> io::Result<()> {
    // SAFETY: the descriptor belongs to `socket`, which is borrowed for the
    // whole call, so it stays open while the options are set.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(socket.as_raw_fd()) };
    enable(&fd)
}
