//! The wire layer's hot paths, in ns/op, and a check that none allocates.
//!
//! `cargo bench -p aimx-bench` (criterion). Before measuring, every
//! operation runs 1,000 times under a counting global allocator; the bench
//! fails if any of them allocated.

#[allow(dead_code)] // `MemSession::pooled` is for examples/ir.rs
mod mem_session;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use aimx::record::AnyRecord;
use aimx::wire::{reply, request, JsonOut};
use aimx::{SingleLatest, SpmcRing, Timestamp};
use criterion::Criterion;
use mem_session::MemSession;
use serde::{Deserialize, Serialize};

/// Counts every allocation the process makes.
struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy, Serialize, Deserialize)]
struct Temperature {
    celsius: f32,
}

const GET: &[u8] = br#"{"id":17,"method":"record.get","params":{"name":"sensor.temperature"}}"#;

/// The same request as a pretty-printing client writes it: the spaces send
/// it down the general path (the line above takes the plain-shape shortcut).
const GET_SPACED: &[u8] = br#"{"id": 17, "method": "record.get", "params": {"name": "sensor.temperature"}}"#;

const SUBSCRIBE: &[u8] =
    br#"{"id":19,"method":"record.subscribe","params":{"name":"sensor.temperature","send_initial":false,"queue_size":8}}"#;

/// A `record.set` whose value is a 200-byte JSON string.
fn set_line() -> Vec<u8> {
    let value = "v".repeat(198);
    format!(r#"{{"id":18,"method":"record.set","params":{{"name":"config.note","value":"{value}"}}}}"#).into_bytes()
}

/// Parses a copy of `line` (the parser rewrites escapes in place).
fn parse(line: &[u8], buf: &mut [u8; 512]) -> bool {
    let buf = &mut buf[..line.len()];
    buf.copy_from_slice(line);
    matches!(request::parse(buf), Ok(Some(request::Message::Request(_))))
}

fn encode_event(buf: &mut [u8; 512]) -> usize {
    let mut out = JsonOut::new(buf);
    reply::event_start(&mut out, reply::Wire::V1, 1, black_box(12_345), reply::Update::Event).unwrap();
    out.value(&Temperature { celsius: black_box(21.5) }).unwrap();
    reply::event_end(
        &mut out,
        reply::Wire::V1,
        Timestamp::from_nanos(1_795_699_147_955_942_719),
        black_box(4),
        black_box(0),
    )
    .unwrap();
    out.len()
}

/// 64 records (the last one a ring with a subscriber's worth of values).
fn records() -> &'static [&'static dyn AnyRecord] {
    let mut list: Vec<&'static dyn AnyRecord> = (0..63)
        .map(|i| {
            let name: &'static str = Box::leak(format!("bench.record_{i:02}").into_boxed_str());
            let record: &'static dyn AnyRecord =
                Box::leak(Box::new(SingleLatest::with_value(name, "u32", i as u32).writable()));
            record
        })
        .collect();
    let ring: &'static SpmcRing<Temperature, 16> =
        Box::leak(Box::new(SpmcRing::new("sensor.temperature", "Temperature").source()));
    ring.publish(Temperature { celsius: 21.5 });
    list.push(ring);
    Box::leak(list.into_boxed_slice())
}

/// Runs `op` 1,000 times after a warm-up and fails if any run allocated.
fn assert_no_alloc(name: &str, mut op: impl FnMut()) {
    for _ in 0..10 {
        op();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        op();
    }
    let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!("allocation check: {name}: {n} allocations in 1000 runs");
    assert_eq!(n, 0, "{name} allocated");
}

fn main() {
    let set = set_line();
    let mut buf = [0u8; 512];
    let list_line = br#"{"id":1,"method":"record.list","params":{}}
"#;
    let mut list_session = MemSession::new(records());
    assert!(list_session.exchange(list_line) > 64 * 200, "the list reply is too short");
    assert_eq!(list_session.output().iter().filter(|&&b| b == b'\n').count(), 1, "one reply line");
    let mut get_session = MemSession::new(records());
    let get_line = [GET, b"\n"].concat();

    assert_no_alloc("parse record.get", || assert!(parse(GET, &mut buf)));
    assert_no_alloc("parse record.get (spaced)", || assert!(parse(GET_SPACED, &mut buf)));
    assert_no_alloc("parse record.set (200-byte value)", || assert!(parse(&set, &mut buf)));
    assert_no_alloc("parse record.subscribe", || assert!(parse(SUBSCRIBE, &mut buf)));
    assert_no_alloc("encode event", || assert!(encode_event(&mut buf) > 0));
    assert_no_alloc("session: record.list of 64 records", || assert!(list_session.exchange(list_line) > 0));
    assert_no_alloc("session: record.get round trip", || assert!(get_session.exchange(&get_line) > 0));

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("parse record.get", |b| b.iter(|| parse(black_box(GET), &mut buf)));
    c.bench_function("parse record.get (spaced)", |b| b.iter(|| parse(black_box(GET_SPACED), &mut buf)));
    c.bench_function("parse record.set (200-byte value)", |b| b.iter(|| parse(black_box(&set), &mut buf)));
    c.bench_function("parse record.subscribe", |b| b.iter(|| parse(black_box(SUBSCRIBE), &mut buf)));
    c.bench_function("encode event", |b| b.iter(|| encode_event(&mut buf)));
    c.bench_function("session: record.list of 64 records", |b| b.iter(|| list_session.exchange(list_line)));
    c.bench_function("session: record.get round trip", |b| b.iter(|| get_session.exchange(&get_line)));
    c.final_summary();
}
