//! `device.stats`: what a person debugging the device asks first — how long
//! it has run, how close the stack came to the statics, who is connected.

use serde::{Deserialize, Serialize};

/// The value of `device.stats`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeviceStats {
    /// Milliseconds since boot.
    pub uptime_ms: u64,
    /// The most stack ever used, in bytes (painted at boot, measured now).
    pub stack_high_water: u32,
    /// Bytes of RAM left for the stack.
    pub stack_size: u32,
    /// AimX sessions open now (one per UART with a hello behind it).
    pub sessions_open: u32,
    /// Live subscribers over all records: remote subscriptions plus the
    /// device's own local followers.
    pub subscriptions: u32,
    /// RAM AimX takes here, measured on this target.
    pub ram: Ram,
}

/// `size_of` on the device itself, at the firmware's server configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ram {
    /// One session's state (`Session<…, 4, 256, 512>`).
    pub session: u32,
    /// One subscription: its cursor plus its wait-queue entry.
    pub subscription: u32,
    /// The whole `serve_many` future: every slot's session, nothing else.
    pub serve_many: u32,
    /// The server shared by the sessions.
    pub server: u32,
}
