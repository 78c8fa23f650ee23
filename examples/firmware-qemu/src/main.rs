//! AimX on an emulated Cortex-M4 (QEMU `mps2-an386`): the demo records plus
//! `device.stats`, served on UART0 and UART1 at once by one spawn-free
//! `serve_many` future. No heap, no allocator.
//!
//! ```text
//! ci/qemu-run.sh --uart0 7000 --uart1 7001     # then: nc 127.0.0.1 7000
//! ```
#![no_std]
#![no_main]

mod device_stats;
#[path = "../../common/records.rs"]
#[allow(dead_code)]
mod records;
#[cfg(feature = "f64")]
mod records_f64;

use core::mem::size_of;
use core::pin::pin;
use core::sync::atomic::{AtomicU32, Ordering};

use aimx::record::AnyRecord;
use aimx::server::{subscription_cost, Link, Session};
use aimx::{Config, Mailbox, Registry, Server, SingleLatest, SpmcRing};
use aimx_embassy::EmbassyClock;
use aimx_firmware_qemu::{stack, time_driver, uart};
use cortex_m_rt::exception;
use device_stats::{DeviceStats, Ram};
use embassy_executor::Spawner;
use embassy_time::{Duration, Instant, Ticker};
use records::LogLevel;
// The float records: f32 (the demo's), or f64 with the `f64` feature.
#[cfg(not(feature = "f64"))]
use records::{self as floats, Setpoint, Temperature};
#[cfg(feature = "f64")]
use records_f64::{self as floats, Setpoint, Temperature};

static TEMPERATURE: SpmcRing<Temperature, 16> = floats::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = floats::setpoint();
static DEVICE_STATS: SingleLatest<DeviceStats> = SingleLatest::new("device.stats", "DeviceStats").source();
static RECORDS: [&dyn AnyRecord; 4] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT, &DEVICE_STATS];

/// Two sessions (one per UART), 4 subscriptions each, 256-byte lines,
/// 512-byte replies: the configuration the footprint targets are set for.
type Srv = Server<'static, EmbassyClock, 4, 256, 512>;

static SERVER: Srv = Server::new(
    Registry::new(&RECORDS),
    Config::new().name(concat!("aimx-qemu/", env!("CARGO_PKG_VERSION"))).read_write().max_sessions(2),
    EmbassyClock,
);

/// `size_of_val` of the running `serve_many` future, set before it starts.
static SERVE_MANY_BYTES: AtomicU32 = AtomicU32::new(0);
/// The setpoint the (simulated) actuator steers towards, in m°C.
static STEERING_MILLI_C: AtomicU32 = AtomicU32::new(0);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    stack::paint();
    let core = cortex_m::Peripherals::take().unwrap();
    time_driver::init(core.SYST);
    aimx_embassy::install_time();

    spawner.spawn(produce_temperature().unwrap());
    spawner.spawn(follow_setpoint().unwrap());
    spawner.spawn(follow_log_level().unwrap());
    spawner.spawn(publish_stats().unwrap());

    // Both UARTs, one future: a session per port, served again after each
    // session ends (a host reopening the port says hello again).
    // Pinned where it stands: awaiting it by value would keep a second copy
    // in this task's state.
    let sessions = pin!(SERVER.serve_many([Link::new(uart::UART0.init()), Link::new(uart::UART1.init())]));
    SERVE_MANY_BYTES.store(size_of_val(&*sessions) as u32, Ordering::Relaxed);
    sessions.await;
}

/// The simulated sensor, 10 readings a second (the demo's default rate).
#[embassy_executor::task]
async fn produce_temperature() {
    let mut tick = Ticker::every(Duration::from_millis(100));
    for sample in 0.. {
        tick.next().await;
        TEMPERATURE.publish(Temperature { celsius: floats::simulated_celsius(sample) });
    }
}

/// Local code acting on the instructions written to `actuator.setpoint`.
#[embassy_executor::task]
async fn follow_setpoint() {
    loop {
        let setpoint = SETPOINT.recv().await;
        STEERING_MILLI_C.store((setpoint.target_celsius * 1000.0) as u32, Ordering::Relaxed);
    }
}

/// Local code following `config.log_level` (a local consumer, as in the demo).
#[embassy_executor::task]
async fn follow_log_level() {
    let mut level = LOG_LEVEL.subscribe();
    loop {
        let _ = level.recv().await;
    }
}

/// Refreshes `device.stats` twice a second.
#[embassy_executor::task]
async fn publish_stats() {
    let cost = subscription_cost();
    let mut tick = Ticker::every(Duration::from_millis(500));
    loop {
        let subscriptions = RECORDS.iter().map(|r| r.info().consumers).sum();
        DEVICE_STATS.publish(DeviceStats {
            uptime_ms: Instant::now().as_millis(),
            stack_high_water: stack::high_water() as u32,
            stack_size: stack::size() as u32,
            sessions_open: SERVER.stats().sessions_open as u32,
            subscriptions,
            ram: Ram {
                session: size_of::<Session<'static, 'static, EmbassyClock, 4, 256, 512>>() as u32,
                subscription: (cost.cursor + cost.waiter) as u32,
                serve_many: SERVE_MANY_BYTES.load(Ordering::Relaxed),
                server: size_of::<Srv>() as u32,
            },
        });
        tick.next().await;
    }
}

#[exception]
fn SysTick() {
    time_driver::on_tick();
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    uart::on_interrupt(irqn);
}
