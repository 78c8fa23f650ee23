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

/// Prints what the server is about to do.
pub fn announce(args: &DemoArgs) {
    let policy = if args.read_only { "read-only" } else { "read-write" };
    let auth = if args.token.is_some() { ", token required" } else { "" };
    println!("serving {} records ({policy}{auth}), sensor at {} Hz", RECORDS.len(), args.rate_hz);
}

/// The simulated sensor: one reading every 1/rate seconds, paced by `clock`.
pub async fn produce_temperature(clock: impl Clock, rate_hz: f64) {
    let period_ns = (1e9 / rate_hz) as u64;
    let mut next = clock.now();
    for sample in 0.. {
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
        next = aimx::Timestamp::from_nanos(next.as_nanos() + period_ns).max(clock.now());
        clock.sleep_until(next).await;
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
