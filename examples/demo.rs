//! The demo server: the three demo records over Unix and/or TCP, on tokio.
//!
//! ```text
//! cargo run --release --example demo -- --unix /tmp/aimx.sock [--tcp 127.0.0.1:7000]
//!     [--token TOKEN] [--read-only] [--rate-hz 10] [--max-sessions 64]
//! ```
//!
//! Each connection is served in its own task (through `aimx::Spawn`). Try it
//! by hand: `nc -U /tmp/aimx.sock`, then type `{"version":"1.0"}` and
//! `{"id":1,"method":"record.list"}`.

#[path = "common/args.rs"]
mod args;
#[path = "common/records.rs"]
#[allow(dead_code)]
mod records;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Mailbox, Registry, Server, SingleLatest, SpmcRing, Token};
use aimx_tokio::{SessionNote, TokioClock};
use records::{LogLevel, Setpoint, Temperature};

static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = records::setpoint();
static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

fn log(note: SessionNote) {
    println!("{note}");
}

#[tokio::main]
async fn main() {
    let args = match args::DemoArgs::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    aimx_tokio::install_time();

    let token: Option<&'static str> = args.token.map(|t| &*Box::leak(t.into_boxed_str()));
    let mut config = Config::new().name(concat!("aimx-demo/", env!("CARGO_PKG_VERSION")));
    config = if args.read_only { config.read_only() } else { config.read_write() };
    if let Some(token) = token {
        config = config.token(Token::new(token));
    }
    if let Some(n) = args.max_sessions {
        config = config.max_sessions(n);
    }
    let server: &'static Server<'static, TokioClock> =
        Box::leak(Box::new(Server::new(Registry::new(&RECORDS), config, TokioClock)));

    let mut listeners = tokio::task::JoinSet::new();
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path).unwrap_or_else(|e| fail(&format!("bind {path}: {e}")));
        println!("listening on unix {path}");
        listeners.spawn(aimx_tokio::serve_unix(server, listener, log));
    }
    if let Some(addr) = &args.tcp {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap_or_else(|e| fail(&format!("bind {addr}: {e}")));
        println!("listening on tcp {}", listener.local_addr().map_or(addr.clone(), |a| a.to_string()));
        listeners.spawn(aimx_tokio::serve_tcp(server, listener, log));
    }
    let policy = if args.read_only { "read-only" } else { "read-write" };
    let auth = if token.is_some() { ", token required" } else { "" };
    println!("serving {} records ({policy}{auth}), sensor at {} Hz", RECORDS.len(), args.rate_hz);

    tokio::spawn(produce_temperature(args.rate_hz));
    tokio::spawn(follow_setpoint());
    tokio::spawn(follow_log_level());

    if let Some(Ok(Err(e))) = listeners.join_next().await {
        fail(&format!("accepting failed: {e}"));
    }
}

/// The simulated sensor: one reading every 1/rate seconds.
async fn produce_temperature(rate_hz: f64) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate_hz));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for sample in 0.. {
        tick.tick().await;
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
    }
}

/// Local code acting on the instructions written to `actuator.setpoint`.
async fn follow_setpoint() {
    loop {
        let setpoint = SETPOINT.recv().await;
        println!("actuator: steering towards {} °C", setpoint.target_celsius);
    }
}

/// Local code following `config.log_level`.
async fn follow_log_level() {
    let mut level = LOG_LEVEL.subscribe();
    loop {
        println!("log level is now {:?}", level.recv().await.value);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
