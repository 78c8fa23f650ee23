//! The conformance fixtures of `tests/common`, with TLS in the pipe: the
//! server's end of every `duplex` is a rustls server stream (what the std
//! accept loops hand a session), the scripted client's end a plain pipe
//! whose bytes a rustls client carries (see `pipe.rs`).
#![allow(dead_code)]

#[path = "../../examples/common/records.rs"]
pub mod records;

#[path = "pipe.rs"]
mod pipe;

#[allow(unused_imports)]
pub use aimx_testing::{run as session, run_v3 as session_v3, Client, ManualClock, V3Client, V3Framing};
pub use pipe::{duplex, run, End};

#[path = "../common/fixture.rs"]
mod fixture;
#[allow(unused_imports)]
pub use fixture::*;
