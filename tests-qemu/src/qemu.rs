//! Boots the firmware in QEMU with UART0 and UART1 as TCP servers on
//! 127.0.0.1, and kills QEMU when dropped, whatever happened in the test.

use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};

/// A running QEMU; killed on drop.
pub struct Qemu {
    child: Child,
    /// `127.0.0.1:PORT` of each UART.
    pub uarts: [String; 2],
    _listeners: [OwnedFd; 2],
}

/// A listening socket on a free loopback port with a small send buffer.
///
/// QEMU accepts on it (`fd=`), and the accepted socket inherits the small,
/// locked send buffer. Left to autotuning, Linux queues megabytes behind a
/// host that stops reading, and a 10 Hz sensor would need most of an hour to
/// make the device feel it. With a few KiB it does within seconds, as it
/// would behind a real USB or flow-controlled link.
fn listener(send_buffer: u32) -> (OwnedFd, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(send_buffer).expect("SO_SNDBUF");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind a free port");
    let port = socket.local_addr().unwrap().port();
    let std = socket.listen(1).expect("listen").into_std().expect("std listener");
    let fd: OwnedFd = std.into();
    // SAFETY: clears FD_CLOEXEC on a descriptor we own, so QEMU inherits it.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFD);
        assert!(flags >= 0 && libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, flags & !libc::FD_CLOEXEC) == 0);
    }
    (fd, port)
}

impl Qemu {
    /// Boots `elf` on mps2-an386 (Cortex-M4).
    pub fn boot(elf: &str) -> Qemu {
        let (l0, p0) = listener(4096);
        let (l1, p1) = listener(4096);
        let chardev = |id: &str, fd: &OwnedFd| format!("socket,id={id},fd={},server=on,wait=off", fd.as_raw_fd());
        let child = Command::new("qemu-system-arm")
            .args(["-machine", "mps2-an386", "-cpu", "cortex-m4", "-display", "none", "-monitor", "none"])
            .args(["-chardev", &chardev("u0", &l0), "-serial", "chardev:u0"])
            .args(["-chardev", &chardev("u1", &l1), "-serial", "chardev:u1"])
            .args(["-kernel", elf])
            .stdin(Stdio::null())
            .spawn()
            .expect("start qemu-system-arm (apt-get install qemu-system-arm)");
        // For a script's trap, in case this process dies before `Drop` runs.
        if let Some(file) = std::env::var_os("AIMX_QEMU_PIDFILE") {
            std::fs::write(file, child.id().to_string()).expect("write the QEMU pid file");
        }
        Qemu { child, uarts: [format!("127.0.0.1:{p0}"), format!("127.0.0.1:{p1}")], _listeners: [l0, l1] }
    }

    /// Fails if QEMU has exited (the firmware faulted or did not load).
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("wait for qemu") {
            panic!("qemu exited: {status}");
        }
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
