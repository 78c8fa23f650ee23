//! Helpers for the QEMU end-to-end test: boot the firmware with its UARTs on
//! loopback TCP, and a reader that can stop reading (a host that stalls).

pub mod gate;
pub mod qemu;
