//! Benchmarks only: see benches/wire.rs.
