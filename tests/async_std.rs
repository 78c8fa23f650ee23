//! The conformance suite on async-std's executor.

mod common;
mod conformance;

conformance::all_tests!(async_std::task::block_on);
