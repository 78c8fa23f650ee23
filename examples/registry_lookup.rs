//! How long `Registry::find` takes at 64, 256 and 1,024 records, scanning
//! versus through a `NameIndex`. Prints the median of 15 runs in ns per
//! lookup (every name looked up once per run, in a shuffled order).
//!
//! `cargo run --release --example registry_lookup`

use std::hint::black_box;
use std::time::Instant;

use aimx::record::{AnyRecord, NameIndex};
use aimx::{Registry, SingleLatest};

fn median_ns_per_lookup(registry: Registry<'static>, names: &[&'static str]) -> f64 {
    let mut runs: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for name in names {
                black_box(registry.find(black_box(name)));
            }
            start.elapsed().as_nanos() as f64 / names.len() as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    println!("records  scan ns/lookup  indexed ns/lookup  ratio");
    for n in [64usize, 256, 1024] {
        let names: Vec<&'static str> =
            (0..n).map(|i| &*Box::leak(format!("sensor.bank{}.channel{:04}", i % 8, i).into_boxed_str())).collect();
        let records: Vec<&'static dyn AnyRecord> = names
            .iter()
            .map(|&name| &*Box::leak(Box::new(SingleLatest::<u32>::new(name, "u32"))) as &dyn AnyRecord)
            .collect();
        let records: &'static [&'static dyn AnyRecord] = Box::leak(records.into_boxed_slice());
        let index: &'static NameIndex<1024> = Box::leak(Box::new(NameIndex::new()));
        let scan = Registry::new(records);
        let indexed = Registry::new(records).with_index(index);
        indexed.check();
        // A fixed shuffle: lookups do not walk the records in order.
        let order: Vec<&'static str> = (0..n).map(|i| names[(i * 7919) % n]).collect();
        let a = median_ns_per_lookup(scan, &order);
        let b = median_ns_per_lookup(indexed, &order);
        println!("{n:>7}  {a:>14.1}  {b:>17.1}  {:>5.1}x", a / b);
    }
}
