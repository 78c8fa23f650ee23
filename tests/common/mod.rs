//! Fixtures shared by the integration tests: the demo records and a fresh
//! server per test. The pipe, the client and the clock are the public ones
//! of `aimx-testing`, so users test with exactly what this suite uses.
//! (`tests/tls/common.rs` gives the same fixtures with TLS in the pipe.)
#![allow(dead_code)]

#[path = "../../examples/common/records.rs"]
pub mod records;

#[allow(unused_imports)] // not every test binary uses every piece
pub use aimx_testing::{duplex, run as session, run_v3 as session_v3, Client, End, ManualClock, V3Client, V3Framing};

mod fixture;
#[allow(unused_imports)]
pub use fixture::*;
