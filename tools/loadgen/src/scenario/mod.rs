//! One module per scenario; each returns the row it measured.

pub mod churn;
pub mod fanout;
pub mod memory;
pub mod pipelined;
pub mod sequential;
pub mod sessions;
pub mod stats;
