//! The demo's float records with `f64` fields instead of `f32`: built with
//! the `f64` feature, so `ci/footprint.sh` can print what f64 values cost
//! (their own parser and writer paths). Same names, shapes and behaviour as
//! the shared demo records; only the float width differs.

use aimx::schema::Describe;
use aimx::{Mailbox, SpmcRing};
use serde::{Deserialize, Serialize};

/// `sensor.temperature`, as f64.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Describe)]
pub struct Temperature {
    /// Degrees Celsius.
    #[aimx(unit = "°C", min = -40, max = 125)]
    pub celsius: f64,
}

/// `actuator.setpoint`, as f64.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Describe)]
pub struct Setpoint {
    /// The temperature to steer towards.
    #[aimx(unit = "°C", min = 5, max = 35)]
    pub target_celsius: f64,
}

pub const fn temperature() -> SpmcRing<Temperature, 16> {
    SpmcRing::new("sensor.temperature", "Temperature").source().described()
}

pub const fn setpoint() -> Mailbox<Setpoint> {
    Mailbox::new("actuator.setpoint", "Setpoint").writable().described()
}

/// The shared demo's reading, widened.
pub fn simulated_celsius(sample: u64) -> f64 {
    f64::from(crate::records::simulated_celsius(sample))
}
