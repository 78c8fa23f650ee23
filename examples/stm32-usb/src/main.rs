//! The demo records over USB CDC-ACM, on a Nucleo-F429ZI (user USB port).
//!
//! One spawn-free `serve_many` slot serves the virtual serial port again and
//! again (`aimx::Link`): a host tool that reopens `/dev/ttyACM0` says hello
//! and gets a fresh session. Build with `cargo build --release` here; flash
//! with `cargo run --release` (probe-rs).
#![no_std]
#![no_main]

#[path = "../../common/records.rs"]
#[allow(dead_code)]
mod records;

use aimx::record::AnyRecord;
use aimx::server::Link;
use aimx::{Config, Mailbox, McuServer, Registry, SingleLatest, SpmcRing};
use aimx_embassy::{CdcAcmStream, EmbassyClock};
use embassy_executor::Spawner;
use embassy_stm32::gpio::{Level, Output, Speed};
use embassy_stm32::peripherals::USB_OTG_FS;
use embassy_stm32::usb::{self, Driver};
use embassy_stm32::{bind_interrupts, peripherals};
use embassy_time::{Duration, Ticker};
use embassy_usb::class::cdc_acm::{CdcAcmClass, State};
use embassy_usb::UsbDevice;
use panic_halt as _;
use records::{LogLevel, Setpoint, Temperature};
use static_cell::StaticCell;

static TEMPERATURE: SpmcRing<Temperature, 16> = records::temperature();
static LOG_LEVEL: SingleLatest<LogLevel> = records::log_level();
static SETPOINT: Mailbox<Setpoint> = records::setpoint();
static RECORDS: [&dyn AnyRecord; 3] = [&TEMPERATURE, &LOG_LEVEL, &SETPOINT];

static SERVER: McuServer<'static, EmbassyClock> = McuServer::new(
    Registry::new(&RECORDS),
    Config::new().name(concat!("aimx-stm32-usb/", env!("CARGO_PKG_VERSION"))).read_write(),
    EmbassyClock,
);

bind_interrupts!(struct Irqs {
    OTG_FS => usb::InterruptHandler<peripherals::USB_OTG_FS>;
});

type UsbDriver = Driver<'static, USB_OTG_FS>;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    aimx_embassy::install_time();

    let usb = usb_driver(p.USB_OTG_FS, p.PA12, p.PA11);
    let (device, class) = cdc_acm(usb);
    spawner.spawn(run_usb(device).expect("usb task"));
    spawner.spawn(produce_temperature().expect("sensor task"));
    spawner.spawn(follow_setpoint(Output::new(p.PB7, Level::Low, Speed::Low)).expect("actuator task"));

    static RX_BUF: StaticCell<[u8; 64]> = StaticCell::new();
    let stream = CdcAcmStream::new(class, RX_BUF.init([0; 64]));
    SERVER.serve_many([Link::new(stream)]).await;
}

/// 8 MHz from the ST-LINK (bypass) -> 168 MHz system clock, 48 MHz for USB.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    use embassy_stm32::time::Hertz;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hse = Some(Hse { freq: Hertz(8_000_000), mode: HseMode::Bypass });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL168,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV7),
        divr: None,
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.mux.clk48sel = mux::Clk48sel::PLL1_Q;
    config
}

fn usb_driver(
    otg: embassy_stm32::Peri<'static, USB_OTG_FS>,
    dp: embassy_stm32::Peri<'static, peripherals::PA12>,
    dm: embassy_stm32::Peri<'static, peripherals::PA11>,
) -> UsbDriver {
    static EP_OUT: StaticCell<[u8; 256]> = StaticCell::new();
    let mut config = usb::Config::default();
    // The Nucleo's user USB port does not wire VBUS sensing.
    config.vbus_detection = false;
    Driver::new_fs(otg, Irqs, dp, dm, EP_OUT.init([0; 256]), config)
}

/// The USB device with one CDC-ACM port (64-byte packets, full speed).
fn cdc_acm(driver: UsbDriver) -> (UsbDevice<'static, UsbDriver>, CdcAcmClass<'static, UsbDriver>) {
    static CONFIG_DESC: StaticCell<[u8; 256]> = StaticCell::new();
    static BOS_DESC: StaticCell<[u8; 256]> = StaticCell::new();
    static CONTROL_BUF: StaticCell<[u8; 64]> = StaticCell::new();
    static STATE: StaticCell<State> = StaticCell::new();

    let mut config = embassy_usb::Config::new(0xc0de, 0xcafe);
    config.manufacturer = Some("aimx");
    config.product = Some("aimx demo (CDC-ACM)");
    config.serial_number = Some("0001");
    let mut builder = embassy_usb::Builder::new(
        driver,
        config,
        CONFIG_DESC.init([0; 256]),
        BOS_DESC.init([0; 256]),
        &mut [],
        CONTROL_BUF.init([0; 64]),
    );
    let class = CdcAcmClass::new(&mut builder, STATE.init(State::new()), 64);
    (builder.build(), class)
}

#[embassy_executor::task]
async fn run_usb(mut device: UsbDevice<'static, UsbDriver>) -> ! {
    device.run().await
}

/// The simulated sensor: ten readings a second.
#[embassy_executor::task]
async fn produce_temperature() {
    let mut tick = Ticker::every(Duration::from_millis(100));
    for sample in 0.. {
        tick.next().await;
        TEMPERATURE.publish(Temperature { celsius: records::simulated_celsius(sample) });
    }
}

/// Local code acting on `actuator.setpoint`: LD2 (blue) lights while the
/// target is above 21 °C.
#[embassy_executor::task]
async fn follow_setpoint(mut led: Output<'static>) {
    loop {
        let setpoint = SETPOINT.recv().await;
        led.set_level(Level::from(setpoint.target_celsius > 21.0));
    }
}
