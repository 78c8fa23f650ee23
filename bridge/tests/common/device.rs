//! A device that can be killed and started again: the demo records served on
//! a runtime of its own. Killing shuts that runtime down, which closes every
//! socket at once, as the end of a device process would; a restart brings
//! up fresh records (a rebooted device) on the same address.

use std::path::PathBuf;
use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SpmcRing};
use aimx_tokio::TokioClock;
use tokio::runtime::Runtime;

use super::records::{self, Temperature};

#[derive(Clone)]
enum Address {
    Unix(PathBuf),
    Tcp(u16),
}

/// A running (or killed) device.
pub struct Device {
    address: Address,
    rate_hz: u32,
    runtime: Option<Runtime>,
}

impl Device {
    /// A device on a fresh Unix socket, producing `rate_hz` temperatures/s.
    pub fn unix(tag: &str, rate_hz: u32) -> Device {
        let path = std::env::temp_dir().join(format!("aimx-bridge-{tag}-{}.sock", std::process::id()));
        Device::start(Address::Unix(path), rate_hz)
    }

    /// A device on a free TCP port of 127.0.0.1.
    pub fn tcp(rate_hz: u32) -> Device {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Device::start(Address::Tcp(port), rate_hz)
    }

    fn start(address: Address, rate_hz: u32) -> Device {
        let mut device = Device { address, rate_hz, runtime: None };
        device.restart();
        device
    }

    /// The bridge's `connect` value.
    pub fn connect(&self) -> String {
        match &self.address {
            Address::Unix(path) => format!("unix:{}", path.display()),
            Address::Tcp(port) => format!("tcp:127.0.0.1:{port}"),
        }
    }

    /// Ends the device: every connection closes.
    pub fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Boots the device again (fresh records) at the same address.
    pub fn restart(&mut self) {
        self.kill();
        aimx_tokio::install_time();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let temperature: &'static SpmcRing<Temperature, 16> = Box::leak(Box::new(records::temperature()));
        let list: [&'static dyn AnyRecord; 3] =
            [temperature, Box::leak(Box::new(records::log_level())), Box::leak(Box::new(records::setpoint()))];
        let list: &'static [&'static dyn AnyRecord] = Box::leak(Box::new(list));
        let config = Config::new().name("aimx-bridge-test-device").read_write();
        let server: &'static Server<'static, TokioClock> =
            Box::leak(Box::new(Server::new(Registry::new(list), config, TokioClock)));
        let period = Duration::from_secs_f64(1.0 / f64::from(self.rate_hz.max(1)));
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(period);
            for sample in 0.. {
                tick.tick().await;
                temperature.publish(Temperature { celsius: records::simulated_celsius(sample) });
            }
        });
        match self.address.clone() {
            Address::Unix(path) => {
                let _ = std::fs::remove_file(&path);
                let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
                listener.set_nonblocking(true).unwrap();
                runtime.spawn(async move {
                    let listener = tokio::net::UnixListener::from_std(listener).unwrap();
                    let _ = aimx_tokio::serve_unix(server, listener, |_| {}).await;
                });
            }
            Address::Tcp(port) => {
                let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
                listener.set_nonblocking(true).unwrap();
                runtime.spawn(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let _ = aimx_tokio::serve_tcp(server, listener, |_| {}).await;
                });
            }
        }
        self.runtime = Some(runtime);
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.kill();
        if let Address::Unix(path) = &self.address {
            let _ = std::fs::remove_file(path);
        }
    }
}
