//! The conformance suite on tokio's multi-thread runtime. The test body is
//! driven by `block_on`; the pipes' wakers are woken from whichever worker
//! thread the runtime uses, so the server's wake-ups cross threads.

mod common;
mod conformance;

fn run(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(test)
}

conformance::all_tests!(run);
