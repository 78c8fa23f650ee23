//! Benchmarks only: `cargo bench -p aimx-bench` runs `benches/wire.rs`.
