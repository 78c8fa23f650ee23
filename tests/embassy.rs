//! The conformance suite on Embassy's host executor (`platform-std` +
//! `executor-thread`): each test's future runs as an embassy task.

mod common;
mod conformance;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::Executor;

type Test = Pin<Box<dyn Future<Output = ()>>>;

/// Tasks cannot be generic, so one task takes the test boxed. The pool has
/// room for every test thread at once, plus the slots a failed (panicked)
/// test leaves taken.
#[embassy_executor::task(pool_size = 64)]
async fn run_test(test: Test, done: &'static AtomicBool) {
    test.await;
    done.store(true, Ordering::Release);
}

/// Runs `test` to completion on a fresh host executor.
fn run(test: impl Future<Output = ()> + 'static) {
    let done: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    executor.run_until(
        |spawner| spawner.spawn(run_test(Box::pin(test), done).expect("test task pool is full")),
        || done.load(Ordering::Acquire),
    );
}

conformance::all_tests!(run);
