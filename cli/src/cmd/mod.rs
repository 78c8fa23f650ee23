//! One module per subcommand.

pub mod get;
pub mod info;
pub mod list;
pub mod ping;
pub mod plot;
pub mod schema;
pub mod set;
pub mod shell;
pub mod ui;
pub mod watch;
