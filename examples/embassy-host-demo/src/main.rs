//! The demo records on Embassy's host executor (`platform-std`), served over
//! stdin/stdout as a stand-in for a serial line: one link, sessions one after
//! another (a refused hello or a silent peer starts a fresh session), until
//! stdin ends.
//!
//! ```text
//! cargo build --release -p aimx-embassy-host-demo
//! socat UNIX-LISTEN:/tmp/aimx-embassy.sock,fork EXEC:target/release/aimx-embassy-host-demo
//! nc -U /tmp/aimx-embassy.sock          # then type {"version":"1.0"}
//! ```
//!
//! Flags: `--token TOKEN`, `--read-only`, `--rate-hz N`. stdout carries only
//! the protocol; notes go to stderr.

use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aimx::record::AnyRecord;
use aimx::server::Link;
use aimx::{Config, Mailbox, Registry, Server, SingleLatest, SpmcRing, Timestamp, Token};
use aimx_demo_common::records;
use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::pipe::Pipe;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Ticker, Timer};
use embedded_io_async::{ErrorType, Read, Write};
use records::{LogLevel, Setpoint, Temperature};

static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = records::setpoint();
static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

/// Bytes from the stdin thread to the session, and from the session to the
/// stdout thread. Blocking std I/O stays on those threads, so a peer that
/// stops reading blocks only the stdout thread; the session sees a full pipe
/// and its write deadline applies.
static STDIN_BYTES: Pipe<CriticalSectionRawMutex, 1024> = Pipe::new();
static STDOUT_BYTES: Pipe<CriticalSectionRawMutex, 4096> = Pipe::new();
static STDIN_CLOSED: Signal<CriticalSectionRawMutex, ()> = Signal::new();
static STDIN_ENDED: AtomicBool = AtomicBool::new(false);
static QUEUED: AtomicUsize = AtomicUsize::new(0);
static WRITTEN: AtomicUsize = AtomicUsize::new(0);

/// stdin/stdout as one `embedded_io_async` stream. Reads are cancel-safe
/// (bytes stay in the pipe until read); `flush` means "handed to the stdout
/// thread", which writes and flushes them at once.
struct Stdio;

impl ErrorType for Stdio {
    type Error = core::convert::Infallible;
}

impl Read for Stdio {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if !STDIN_ENDED.load(Ordering::Acquire) {
            // Buffered bytes win the race: the thread queues all it read
            // before it signals the end.
            let n = futures_lite::future::or(STDIN_BYTES.read(buf), async {
                STDIN_CLOSED.wait().await;
                0
            })
            .await;
            if n > 0 {
                return Ok(n);
            }
            STDIN_ENDED.store(true, Ordering::Release);
        }
        Ok(STDIN_BYTES.try_read(buf).unwrap_or(0))
    }
}

impl Write for Stdio {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let n = STDOUT_BYTES.write(buf).await;
        QUEUED.fetch_add(n, Ordering::AcqRel);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn pump_stdin() {
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = stdin.read(&mut buf) {
        futures_lite::future::block_on(STDIN_BYTES.write_all(&buf[..n]));
    }
    STDIN_CLOSED.signal(());
}

fn pump_stdout() {
    let mut stdout = std::io::stdout().lock();
    let mut buf = [0u8; 1024];
    loop {
        let n = futures_lite::future::block_on(STDOUT_BYTES.read(&mut buf));
        if stdout.write_all(&buf[..n]).and_then(|()| stdout.flush()).is_err() {
            std::process::exit(0); // the peer is gone
        }
        WRITTEN.fetch_add(n, Ordering::AcqRel);
    }
}

/// Values, `ping`, `created_at` and deadlines all use Unix time, as in the
/// tokio demo (one clock: mixing embassy-time's time-since-start with Unix
/// time gave `ping` 0.98 next to values stamped 1795786174.32).
fn unix_now() -> Timestamp {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_nanos(since_epoch.as_nanos().min(u64::MAX as u128) as u64)
}

/// The server's clock: Unix time, sleeping on embassy-time timers.
struct UnixClock;

impl aimx::Clock for UnixClock {
    fn now(&self) -> Timestamp {
        unix_now()
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        let left = deadline.as_nanos().saturating_sub(unix_now().as_nanos());
        if left > 0 {
            Timer::after(Duration::from_micros(left.div_ceil(1000))).await;
        }
    }
}

struct Args {
    token: Option<String>,
    read_only: bool,
    rate_hz: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut out = Args { token: None, read_only: false, rate_hz: 10.0 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--token" => out.token = Some(args.next().ok_or("--token needs a value")?),
            "--read-only" => out.read_only = true,
            "--rate-hz" => {
                let v = args.next().ok_or("--rate-hz needs a value")?;
                out.rate_hz = v.parse().ok().filter(|r| *r > 0.0 && *r <= 1e6).ok_or("--rate-hz: want (0, 1e6]")?;
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(out)
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("error: {e}\nusage: aimx-embassy-host-demo [--token TOKEN] [--read-only] [--rate-hz N]");
        std::process::exit(2);
    });
    aimx::time::set_source(unix_now);

    let mut config = Config::new().name(concat!("aimx-embassy-demo/", env!("CARGO_PKG_VERSION")));
    config = if args.read_only { config.read_only() } else { config.read_write() };
    if let Some(token) = args.token {
        config = config.token(Token::new(Box::leak(token.into_boxed_str())));
    }
    let server: &'static Server<'static, UnixClock> =
        Box::leak(Box::new(Server::new(Registry::new(&RECORDS), config, UnixClock)));

    std::thread::spawn(pump_stdin);
    std::thread::spawn(pump_stdout);
    spawner.spawn(produce_temperature(args.rate_hz).expect("sensor task"));
    spawner.spawn(follow_setpoint().expect("actuator task"));
    spawner.spawn(follow_log_level().expect("log task"));
    eprintln!("serving {} records on stdin/stdout (embassy host executor)", RECORDS.len());

    server.serve_many([Link::new(Stdio)]).await;
    // stdin ended: let the stdout thread write the last replies, then leave.
    while WRITTEN.load(Ordering::Acquire) < QUEUED.load(Ordering::Acquire) {
        Timer::after_millis(1).await;
    }
    std::process::exit(0);
}

/// The simulated sensor: one reading every 1/rate seconds.
#[embassy_executor::task]
async fn produce_temperature(rate_hz: f64) {
    let mut tick = Ticker::every(Duration::from_micros((1e6 / rate_hz) as u64));
    for sample in 0.. {
        tick.next().await;
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
    }
}

/// Local code acting on the instructions written to `actuator.setpoint`.
#[embassy_executor::task]
async fn follow_setpoint() {
    loop {
        let setpoint = SETPOINT.recv().await;
        eprintln!("actuator: steering towards {} °C", setpoint.target_celsius);
    }
}

/// Local code following `config.log_level`.
#[embassy_executor::task]
async fn follow_log_level() {
    let mut level = LOG_LEVEL.subscribe();
    loop {
        eprintln!("log level is now {:?}", level.recv().await.value);
    }
}
