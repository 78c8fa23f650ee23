//! The adapter on embassy's host executor: a `session_task!` task serves a
//! session over in-memory pipes, a full pool is an `aimx::SpawnError`, and
//! `EmbassyClock` ends a silent peer's handshake on embassy-time.

use std::sync::atomic::{AtomicBool, Ordering};

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd, SingleLatest};
use aimx_embassy::{EmbassyClock, SessionSpawner};
use embassy_executor::Executor;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::pipe::Pipe;
use embedded_io_async::{ErrorType, Read, Write};

// The pipes' inherent `read`/`write_all` are used directly below; the
// traits are for `Duplex`.

type Bytes = Pipe<CriticalSectionRawMutex, 512>;

/// One side of two pipes: reads one, writes the other.
struct Duplex {
    rx: &'static Bytes,
    tx: &'static Bytes,
}

impl ErrorType for Duplex {
    type Error = core::convert::Infallible;
}

impl Read for Duplex {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.rx.read(buf).await)
    }
}

impl Write for Duplex {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(self.tx.write(buf).await)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

static ANSWER: SingleLatest<u32> = SingleLatest::with_value("test.answer", "u32", 42);
static RECORDS: [&dyn AnyRecord; 1] = [&ANSWER];

type TestServer = Server<'static, EmbassyClock>;
static SERVER: TestServer = Server::new(Registry::new(&RECORDS), Config::new().handshake_timeout_ms(50), EmbassyClock);

aimx_embassy::session_task!(fn session(server: &'static TestServer, stream: Duplex), pool_size = 1);

static TO_SERVER: Bytes = Pipe::new();
static TO_CLIENT: Bytes = Pipe::new();
static SILENT_IN: Bytes = Pipe::new();
static SILENT_OUT: Bytes = Pipe::new();
static CLIENT_DONE: AtomicBool = AtomicBool::new(false);
static SILENT_DONE: AtomicBool = AtomicBool::new(false);

async fn line(pipe: &'static Bytes) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8];
    while pipe.read(&mut byte).await == 1 && byte[0] != b'\n' {
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}

#[embassy_executor::task]
async fn client() {
    TO_SERVER.write_all(b"{\"version\":\"1.0\",\"client\":\"embassy-test\"}\n").await;
    let welcome = line(&TO_CLIENT).await;
    assert!(welcome.contains("\"version\":\"1.0\""), "{welcome}");
    TO_SERVER.write_all(b"{\"id\":7,\"method\":\"record.get\",\"params\":{\"name\":\"test.answer\"}}\n").await;
    assert_eq!(line(&TO_CLIENT).await, r#"{"id":7,"result":42}"#);
    CLIENT_DONE.store(true, Ordering::SeqCst);
}

/// A peer that never says hello: the 50 ms handshake deadline must end it.
#[embassy_executor::task]
async fn silent_peer() {
    let started = embassy_time::Instant::now();
    let end = SERVER.serve(Duplex { rx: &SILENT_IN, tx: &SILENT_OUT }).await;
    assert_eq!(end, SessionEnd::HandshakeTimeout);
    assert!(started.elapsed() >= embassy_time::Duration::from_millis(50));
    SILENT_DONE.store(true, Ordering::SeqCst);
}

#[test]
fn session_task_serves_and_the_clock_ends_a_silent_handshake() {
    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    executor.run_until(
        |spawner| {
            let sessions = SessionSpawner::new(spawner);
            sessions.spawn(session(&SERVER, Duplex { rx: &TO_SERVER, tx: &TO_CLIENT })).unwrap();
            // pool_size = 1: the second session is refused, not a panic.
            let again = sessions.spawn(session(&SERVER, Duplex { rx: &TO_SERVER, tx: &TO_CLIENT }));
            assert_eq!(again, Err(aimx::SpawnError));
            spawner.spawn(client().unwrap());
            spawner.spawn(silent_peer().unwrap());
        },
        || CLIENT_DONE.load(Ordering::SeqCst) && SILENT_DONE.load(Ordering::SeqCst),
    );
}
