//! The conformance suite on smol's executor (a local `smol::Executor`).

mod common;
mod conformance;

fn run(test: impl std::future::Future<Output = ()>) {
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(test))
}

conformance::all_tests!(run);
