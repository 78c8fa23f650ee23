//! The smallest complete aimx server on tokio: a sensor record of its own
//! type and a writable config record, served over TCP. Try it with
//! `aimx --tcp 127.0.0.1:7000 shell`, then `sub sensor.temperature`.
use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SingleLatest, SpmcRing};
use aimx_tokio::TokioClock;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Serialize, Deserialize)]
struct Temperature {
    celsius: f32,
}

static TEMPERATURE: SpmcRing<Temperature, 8> = SpmcRing::new("sensor.temperature", "Temperature").source();
// How often to sample; a client may change it with `set config.period_ms 50`.
static PERIOD_MS: SingleLatest<u32> = SingleLatest::with_value("config.period_ms", "u32", 200).writable();
static RECORDS: [&dyn AnyRecord; 2] = [&TEMPERATURE, &PERIOD_MS];
static SERVER: Server<'static, TokioClock> =
    Server::new(Registry::new(&RECORDS), Config::new().read_write(), TokioClock);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    aimx_tokio::install_time();
    tokio::spawn(async {
        for i in 0u16.. {
            TEMPERATURE.publish(Temperature { celsius: 20.0 + f32::from(i % 50) / 10.0 });
            let period = PERIOD_MS.latest().unwrap_or(200).max(10);
            tokio::time::sleep(std::time::Duration::from_millis(period.into())).await;
        }
    });
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving on {}", listener.local_addr()?);
    aimx_tokio::serve_tcp(&SERVER, listener, |note| println!("{note}")).await
}
