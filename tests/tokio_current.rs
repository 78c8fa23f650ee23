//! The conformance suite on tokio's current-thread runtime.

mod common;
mod conformance;

fn run(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(test)
}

conformance::all_tests!(run);
