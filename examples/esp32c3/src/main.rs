//! The demo records over the ESP32-C3's built-in USB-serial-JTAG port, with
//! the spawn-free `serve_many`: `cargo run --release` flashes it with espflash
//! and opens the port; then aimx-cli talks to /dev/ttyACM0. riscv32imc has no
//! compare-and-swap: esp-hal has portable-atomic assume one core. Embassy runs
//! on esp-rtos's thread-mode executor.
#![no_std]
#![no_main]

#[path = "../../common/records.rs"]
#[allow(dead_code)]
mod records;

use aimx::record::AnyRecord;
use aimx::server::Link;
use aimx::{Config, Mailbox, Registry, Server, SingleLatest, SpmcRing};
use aimx_embassy::EmbassyClock;
use core::pin::pin;
use embassy_executor::Spawner;
use embassy_time::{Duration, Ticker};
use esp_hal::timer::timg::TimerGroup;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use records::{LogLevel, Setpoint, Temperature};

esp_bootloader_esp_idf::esp_app_desc!();

static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = records::setpoint();
static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

/// One session, 4 subscriptions, 256-byte lines, 512-byte replies.
static SERVER: Server<'static, EmbassyClock, 4, 256, 512> = Server::new(
    Registry::new(&RECORDS),
    Config::new().name(concat!("aimx-esp32c3/", env!("CARGO_PKG_VERSION"))).read_write().max_sessions(1),
    EmbassyClock,
);

#[esp_rtos::main]
async fn main(spawner: Spawner) {
    let p = esp_hal::init(esp_hal::Config::default());
    let timg0 = TimerGroup::new(p.TIMG0);
    esp_rtos::start(timg0.timer0, p.FROM_CPU_INTR0);
    aimx_embassy::install_time();
    spawner.spawn(produce_temperature().unwrap());
    spawner.spawn(follow_setpoint().unwrap());

    let port = UsbSerialJtag::new(p.USB_DEVICE).into_async();
    // Pinned where it stands: it holds the session, the largest thing in RAM.
    pin!(SERVER.serve_many([Link::new(port)])).await;
}

/// The simulated sensor, 10 readings a second.
#[embassy_executor::task]
async fn produce_temperature() {
    let mut tick = Ticker::every(Duration::from_millis(100));
    for sample in 0.. {
        tick.next().await;
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
    }
}

/// Local code taking the instructions written to `actuator.setpoint`.
#[embassy_executor::task]
async fn follow_setpoint() {
    loop {
        let _setpoint = SETPOINT.recv().await;
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
