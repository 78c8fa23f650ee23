//! The demo server, in process: fresh records per server so tests running in
//! parallel never see each other's subscriptions or writes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SpmcRing, Token};
use aimx_tokio::TokioClock;
use tokio::runtime::Runtime;

use super::records::{self, Temperature};

pub type DemoServer = Server<'static, TokioClock>;

/// How a test server is configured.
#[derive(Clone, Copy)]
pub enum Policy {
    ReadWrite,
    ReadOnly,
    Token(&'static str),
}

/// Where a server listens.
pub struct Endpoint {
    pub unix: PathBuf,
    pub tcp: String,
}

/// One runtime for every server of the test process, apart from the tests'
/// own runtimes, so a test's runtime ending never stops a server.
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        aimx_tokio::install_time();
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    })
}

/// A demo server with its own records; the sensor publishes at 50 Hz.
pub fn server(policy: Policy) -> &'static DemoServer {
    let temperature: &'static SpmcRing<Temperature, 16> = Box::leak(Box::new(records::temperature()));
    let list: [&'static dyn AnyRecord; 3] =
        [temperature, Box::leak(Box::new(records::log_level())), Box::leak(Box::new(records::setpoint()))];
    let list: &'static [&'static dyn AnyRecord] = Box::leak(Box::new(list));
    let config = Config::new().name("aimx-demo/test");
    let config = match policy {
        Policy::ReadWrite => config.read_write(),
        Policy::ReadOnly => config.read_only(),
        Policy::Token(token) => config.read_write().token(Token::new(token)),
    };
    // The first reading is there before any client connects: a loaded
    // machine may not run the producer task before the first record.get.
    temperature.publish(Temperature { celsius: records::simulated_celsius(0) });
    runtime().spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for sample in 1.. {
            tick.tick().await;
            temperature.publish(Temperature { celsius: records::simulated_celsius(sample) });
        }
    });
    Box::leak(Box::new(Server::new(Registry::new(list), config, TokioClock)))
}

/// A fresh Unix socket path in this test process's own temp directory,
/// which is removed when the process exits: a run leaves nothing behind.
pub fn socket_path(tag: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    socket_dir().join(format!("{tag}-{n}.sock"))
}

static SOCKET_DIR: OnceLock<PathBuf> = OnceLock::new();

fn socket_dir() -> &'static PathBuf {
    SOCKET_DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("aimx-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // SAFETY: `atexit` only records a plain function; it runs once, at
        // exit (the test harness returns from main or calls `exit`), and
        // touches only the OnceLock and the file system.
        unsafe { libc::atexit(remove_socket_dir) };
        dir
    })
}

extern "C" fn remove_socket_dir() {
    if let Some(dir) = SOCKET_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Serves `server` on a new Unix socket and on 127.0.0.1:<free port>.
pub fn listen(server: &'static DemoServer) -> Endpoint {
    let unix = socket_path("demo");
    let unix_listener = std::os::unix::net::UnixListener::bind(&unix).unwrap();
    let tcp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = tcp_listener.local_addr().unwrap().to_string();
    unix_listener.set_nonblocking(true).unwrap();
    tcp_listener.set_nonblocking(true).unwrap();
    runtime().spawn(async move {
        let listener = tokio::net::UnixListener::from_std(unix_listener).unwrap();
        let _ = aimx_tokio::serve_unix(server, listener, |_| {}).await;
    });
    runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(tcp_listener).unwrap();
        let _ = aimx_tokio::serve_tcp(server, listener, |_| {}).await;
    });
    Endpoint { unix, tcp }
}

/// A demo server under `policy`, listening on Unix and TCP.
pub fn start(policy: Policy) -> Endpoint {
    listen(server(policy))
}
