//! Test harness shared by the client's and the CLI's tests: in-process demo
//! servers (Unix, TCP, a pseudo-terminal) and a scripted fake server.
#![allow(dead_code)]

pub mod demo;
pub mod fake;
pub mod pty;
#[path = "../../../examples/common/records.rs"]
pub mod records;
