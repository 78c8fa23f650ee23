//! What every std demo server shares, so that each runtime's demo is only
//! its listeners: the records (`records.rs`, also used by the firmware and
//! the tests), the flags (`args.rs`) and the local tasks (`demo.rs`).

pub mod args;
pub mod check;
pub mod demo;
pub mod records;
