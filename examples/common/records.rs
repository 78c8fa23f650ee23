//! The demo records, shared by every demo server, the firmware and the
//! tests: the same names, types and semantics everywhere.

use aimx::schema::Describe;
use aimx::{Mailbox, SingleLatest, SpmcRing};
use serde::{Deserialize, Serialize};

/// `sensor.temperature`: a reading of the demo's simulated sensor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Describe)]
pub struct Temperature {
    /// Degrees Celsius.
    #[aimx(unit = "°C", min = -40, max = 125)]
    pub celsius: f32,
}

/// `config.log_level`: one of four levels; anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Debug,
    Warn,
    Error,
}

/// `actuator.setpoint`: an instruction for the (simulated) actuator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Describe)]
pub struct Setpoint {
    /// The temperature to steer towards.
    #[aimx(unit = "°C", min = 5, max = 35)]
    pub target_celsius: f32,
}

/// A ring of the last 16 readings, produced on the device.
pub const fn temperature() -> SpmcRing<Temperature, 16> {
    SpmcRing::new("sensor.temperature", "Temperature").source().described()
}

/// The log level, writable, initially `"info"`.
pub const fn log_level() -> SingleLatest<LogLevel> {
    SingleLatest::with_value("config.log_level", "LogLevel", LogLevel::Info).writable().described()
}

/// The setpoint mailbox, writable, with no initial value.
pub const fn setpoint() -> Mailbox<Setpoint> {
    Mailbox::new("actuator.setpoint", "Setpoint").writable().described()
}

/// One simulated reading: a slow wave around 21 °C, from a sample counter.
pub fn simulated_celsius(sample: u64) -> f32 {
    let phase = (sample % 200) as f32 / 200.0;
    let triangle = if phase < 0.5 { phase * 4.0 - 1.0 } else { 3.0 - phase * 4.0 };
    21.0 + 1.5 * triangle
}
