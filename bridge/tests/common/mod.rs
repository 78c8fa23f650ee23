//! Test harness: a real mosquitto, killable in-process devices, a watching
//! MQTT client, and the client crate's pty device for the serial link.
#![allow(dead_code)]

pub mod device;
pub mod mosquitto;
pub mod proxy;
pub mod watcher;
// The client's test harness: the demo server in process and a pseudo-terminal
// standing in for a serial port.
#[path = "../../../client/tests/common/demo.rs"]
pub mod demo;
#[path = "../../../client/tests/common/pty.rs"]
pub mod pty;
#[path = "../../../examples/common/records.rs"]
pub mod records;
