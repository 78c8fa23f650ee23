//! The demo's records and local tasks, shared by every std demo server so
//! each runtime's example is only its listeners: the same names, types,
//! semantics and flags everywhere.

use aimx::record::AnyRecord;
use aimx::{Clock, Config, Mailbox, SingleLatest, SpmcRing, Token};

use crate::args::DemoArgs;
use crate::records::{self, LogLevel, Setpoint, Temperature};

pub static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
pub static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
pub static SETPOINT: Mailbox<Setpoint> = records::setpoint();
pub static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

/// The flags, or exit 2 with the usage.
pub fn args() -> DemoArgs {
    DemoArgs::parse(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("error: {e}\n\n{}", crate::args::USAGE);
        std::process::exit(2);
    })
}

/// The server configuration the flags ask for.
pub fn config(args: &DemoArgs, name: &'static str) -> Config<'static> {
    let mut config = Config::new().name(name);
    config = if args.read_only { config.read_only() } else { config.read_write() };
    if let Some(token) = &args.token {
        config = config.token(Token::new(Box::leak(token.clone().into_boxed_str())));
    }
    if let Some(n) = args.max_sessions {
        config = config.max_sessions(n);
    }
    config
}

/// The TLS server config `--tls-cert`/`--tls-key`/`--tls-client-ca` ask
/// for (`None`: plain TCP); exits with the reason when the files are bad.
pub fn tls(args: &DemoArgs) -> Option<std::sync::Arc<aimx_std_net::rustls::ServerConfig>> {
    let (cert, key) = (args.tls_cert.as_ref()?, args.tls_key.as_ref()?);
    let ca = args.tls_client_ca.as_deref().map(std::path::Path::new);
    let config = aimx_std_net::tls::server_config_from_files(cert.as_ref(), key.as_ref(), ca)
        .unwrap_or_else(|e| fail(&format!("TLS: {e}")));
    let clients = if ca.is_some() { "required" } else { "not asked for" };
    println!("serving TLS on tcp (client certificates {clients})");
    Some(config)
}

/// Prints what the server is about to do.
pub fn announce(args: &DemoArgs) {
    let policy = if args.read_only { "read-only" } else { "read-write" };
    let auth = if args.token.is_some() { ", token required" } else { "" };
    println!("serving {} records ({policy}{auth}), sensor at {} Hz", RECORDS.len(), args.rate_hz);
}

/// The simulated sensor at `rate_hz` readings per second, paced by `clock`.
pub async fn produce_temperature(clock: impl Clock, rate_hz: f64) {
    produce(clock, rate_hz, |sample| {
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
    })
    .await
}

/// Calls `publish` with sample numbers 0, 1, 2, … at `rate_hz`, reading `n`
/// being due `n / rate_hz` seconds after the start. A timer wakes about once
/// a millisecond at best, so each wake publishes every reading that has come
/// due since the last: the rate holds far above 1 kHz. After a stall longer
/// than a second (a suspended process) the missed readings are skipped, as a
/// sensor would not produce them late.
pub async fn produce(clock: impl Clock, rate_hz: f64, mut publish: impl FnMut(u64)) {
    // Deadlines are points on the monotonic clock, not the wall clock.
    let start = clock.monotonic().as_nanos();
    let due_at = |sample: u64| aimx::Timestamp::from_nanos(start + (sample as f64 * 1e9 / rate_hz) as u64);
    let most_at_once = (rate_hz as u64).max(1);
    let mut sample = 0u64;
    loop {
        let elapsed = clock.monotonic().as_nanos().saturating_sub(start);
        let due = (elapsed as f64 * rate_hz / 1e9) as u64 + 1;
        sample = sample.max(due.saturating_sub(most_at_once));
        while sample < due {
            publish(sample);
            sample += 1;
        }
        clock.sleep_until(due_at(sample)).await;
    }
}

/// Local code acting on the instructions written to `actuator.setpoint`.
pub async fn follow_setpoint() {
    loop {
        let setpoint = SETPOINT.recv().await;
        println!("actuator: steering towards {} °C", setpoint.target_celsius);
    }
}

/// Local code following `config.log_level`.
pub async fn follow_log_level() {
    let mut level = LOG_LEVEL.subscribe();
    loop {
        println!("log level is now {:?}", level.recv().await.value);
    }
}

/// Exits with an error message.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::pin;
    use std::rc::Rc;
    use std::task::{Context, Poll, Waker};

    use aimx::{Clock, Timestamp};

    /// A clock whose timer, like a real one, wakes no sooner than 1 ms after
    /// it is set (later when the deadline is later); each sleep is one poll.
    /// Like the std clocks, its wall time (`now`) is far from its monotonic
    /// time, which alone carries deadlines.
    #[derive(Clone)]
    struct CoarseClock(Rc<Cell<u64>>);
    const WALL_OFFSET: u64 = 1_795_000_000_000_000_000;
    impl Clock for CoarseClock {
        fn now(&self) -> Timestamp {
            Timestamp::from_nanos(WALL_OFFSET + self.0.get())
        }
        fn monotonic(&self) -> Timestamp {
            Timestamp::from_nanos(self.0.get())
        }
        async fn sleep_until(&self, deadline: Timestamp) {
            let wake = deadline.as_nanos().max(self.0.get() + 1_000_000);
            let mut slept = false;
            std::future::poll_fn(|_| if std::mem::replace(&mut slept, true) { Poll::Ready(()) } else { Poll::Pending })
                .await;
            self.0.set(wake);
        }
    }

    /// Readings published in the first `ms` milliseconds at `rate_hz`.
    fn published(rate_hz: f64, ms: u64) -> u64 {
        let now = Rc::new(Cell::new(1_000_000_000));
        let clock = CoarseClock(now.clone());
        let count = Cell::new(0u64);
        let end = now.get() + ms * 1_000_000;
        let mut producer = pin!(super::produce(clock, rate_hz, |n| {
            assert_eq!(n, count.get(), "readings in order, none skipped");
            count.set(count.get() + 1);
        }));
        let mut cx = Context::from_waker(Waker::noop());
        while now.get() < end {
            assert!(producer.as_mut().poll(&mut cx).is_pending());
        }
        count.get()
    }

    #[test]
    fn the_rate_holds_above_the_timer_resolution() {
        // 100 ms: readings 0..=N where N is the last one due.
        assert_eq!(published(20_000.0, 100), 2_001);
        assert_eq!(published(50_000.0, 100), 5_001);
        assert_eq!(published(10.0, 1_000), 11);
    }
}
