//! The smallest complete aimx server on Embassy, on the host: own record type, a writable
//! config record, one session at a time as over a UART. On a board: `SERVER.serve_many(
//! [Link::new(uart)])`; here TCP stands in for the UART: `aimx --tcp 127.0.0.1:7000 shell`.
use aimx::record::AnyRecord;
use aimx::{Config, McuServer, Registry, SingleLatest, SpmcRing};
use aimx_embassy::EmbassyClock;
use serde::{Deserialize, Serialize};

#[rustfmt::skip]
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Temperature { celsius: f32 }

static TEMPERATURE: SpmcRing<Temperature, 8> = SpmcRing::new("sensor.temperature", "Temperature").source();
// How often to sample; a client may change it with `set config.period_ms 50`.
static PERIOD_MS: SingleLatest<u32> = SingleLatest::with_value("config.period_ms", "u32", 200).writable();
static RECORDS: [&dyn AnyRecord; 2] = [&TEMPERATURE, &PERIOD_MS];
static SERVER: McuServer<'static, EmbassyClock> =
    McuServer::new(Registry::new(&RECORDS), Config::new().read_write(), EmbassyClock);

#[embassy_executor::task]
async fn sample() {
    for i in 0u16.. {
        TEMPERATURE.publish(Temperature { celsius: 20.0 + f32::from(i % 50) / 10.0 });
        embassy_time::Timer::after_millis(PERIOD_MS.latest().unwrap_or(200).max(10).into()).await;
    }
}

#[embassy_executor::main]
async fn main(spawner: embassy_executor::Spawner) {
    aimx_embassy::install_time();
    spawner.spawn(sample().expect("one sampler"));
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = async_io::Async::new(std::net::TcpListener::bind(addr).unwrap()).unwrap();
    println!("serving on {}", listener.get_ref().local_addr().unwrap());
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        SERVER.serve(embedded_io_adapters::futures_03::FromFutures::new(stream)).await;
    }
}
