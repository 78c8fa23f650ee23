//! The conformance suite under `futures_lite::future::block_on`: no runtime
//! at all, the way a bare-metal `block_on` would drive the server.

mod common;
mod conformance;

conformance::all_tests!(futures_lite::future::block_on);
