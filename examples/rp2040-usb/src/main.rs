//! The demo records over USB CDC-ACM on an RP2040 (Raspberry Pi Pico), with
//! the spawn-free `serve_many`: `cargo run --release` with a Pico in BOOTSEL
//! mode flashes it through elf2uf2-rs; then `nc`-style tools or aimx-cli talk
//! to /dev/ttyACM0. thumbv6m has no compare-and-swap: aimx's
//! `critical-section` feature and embassy-rp's implementation cover it.
#![no_std]
#![no_main]

#[path = "../../common/records.rs"]
#[allow(dead_code)]
mod records;

use aimx::record::AnyRecord;
use aimx::server::Link;
use aimx::{Config, Mailbox, McuServer, Registry, Server, SingleLatest, SpmcRing};
use aimx_embassy::{CdcAcmStream, EmbassyClock};
use embassy_executor::Spawner;
use embassy_rp::bind_interrupts;
use embassy_rp::peripherals::USB;
use embassy_rp::usb::{Driver, InterruptHandler};
use embassy_time::{Duration, Ticker};
use embassy_usb::class::cdc_acm::{CdcAcmClass, State};
use records::{LogLevel, Setpoint, Temperature};

bind_interrupts!(struct Irqs {
    USBCTRL_IRQ => InterruptHandler<USB>;
});

static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = records::setpoint();
static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

static SERVER: McuServer<'static, EmbassyClock> = Server::new(
    Registry::new(&RECORDS),
    Config::new().name(concat!("aimx-rp2040/", env!("CARGO_PKG_VERSION"))).read_write().max_sessions(1),
    EmbassyClock,
);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    aimx_embassy::install_time();
    spawner.spawn(produce_temperature().unwrap());
    spawner.spawn(follow_setpoint().unwrap());

    let mut config = embassy_usb::Config::new(0x1209, 0x0001); // pid.codes test ids
    config.manufacturer = Some("aimx");
    config.product = Some("aimx rp2040 demo");
    // Declared before the USB device: it borrows them until the end.
    let mut rx_buf = [0; 64];
    let (mut config_desc, mut bos_desc, mut control_buf) = ([0; 256], [0; 256], [0; 64]);
    let mut state = State::new();
    let mut builder = embassy_usb::Builder::new(
        Driver::new(p.USB, Irqs),
        config,
        &mut config_desc,
        &mut bos_desc,
        &mut [],
        &mut control_buf,
    );
    let class = CdcAcmClass::new(&mut builder, &mut state, 64);
    let mut usb = builder.build();
    // The adapter's stream sends the zero-length packet after a full last packet.
    let port = CdcAcmStream::new(class, &mut rx_buf);
    embassy_futures::join::join(usb.run(), SERVER.serve_many([Link::new(port)])).await;
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
    cortex_m::asm::udf()
}
