//! The command line: connection options and one subcommand.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "aimx",
    version,
    about = "Look inside a running AimX device (v1 or 3.0): list, read, write and watch its records.",
    after_help = "Examples:\n  aimx --unix /tmp/aimx.sock list\n  aimx --tcp 127.0.0.1:7000 watch sensor.temperature --count 10\n  aimx --tcp device.lan:7443 --tls --ca ca.pem list\n  aimx --serial /dev/ttyACM0 --baud 115200 set config.log_level debug\n\nExit codes: 0 ok, 1 server error, 2 usage, 3 connection or auth failure."
)]
pub struct Cli {
    #[command(flatten)]
    pub conn: Conn,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the device is. Exactly one of `--unix`, `--tcp`, `--serial`.
/// Under their own heading, so a command's own options are not interleaved
/// with them in `--help`.
#[derive(Args, Debug)]
#[command(next_help_heading = "Connection")]
pub struct Conn {
    /// Connect to a Unix socket.
    #[arg(long, global = true, value_name = "PATH")]
    pub unix: Option<String>,
    /// Connect over TCP.
    #[arg(long, global = true, value_name = "HOST:PORT")]
    pub tcp: Option<String>,
    /// Open a serial port (8N1). The device's session restarts on open.
    #[arg(long, global = true, value_name = "PORT")]
    pub serial: Option<String>,
    /// Baud rate for --serial.
    #[arg(long, global = true, default_value_t = 115_200)]
    pub baud: u32,
    /// Use TLS over --tcp (trusting the system's root certificates unless
    /// --ca is given).
    #[arg(long, global = true)]
    pub tls: bool,
    /// With --tls: trust only the CA certificates in this PEM file.
    #[arg(long, global = true, value_name = "FILE")]
    pub ca: Option<String>,
    /// With --tls: accept any server certificate. INSECURE: anyone on the
    /// path can read and change the traffic. For throwaway test certs only.
    #[arg(long, global = true)]
    pub tls_insecure: bool,
    /// With --tls: the name the server's certificate must carry (default:
    /// the host of --tcp).
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Protocol generation: v1 (AimDB's older tools, the default) or v3
    /// (AimX 3.0, `"t"`-tagged frames; length-prefixed over --tcp).
    #[arg(long, global = true, default_value = "v1", value_name = "v1|v3")]
    pub wire: aimx_client::Wire,
    /// Auth token (never printed).
    #[arg(long, global = true, env = "AIMX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Seconds to wait for connecting and for each reply.
    #[arg(long, global = true, default_value_t = 5.0, value_name = "SECS")]
    pub timeout: f64,
    /// Machine-readable output: compact JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Table of records: buffer, capacity, producers, consumers, writable, last update.
    #[command(after_help = "Example:\n  aimx --unix /tmp/aimx.sock list\n  aimx --unix /tmp/aimx.sock list --json")]
    List,
    /// Print a record's current value as pretty JSON (--json: compact).
    #[command(after_help = "Example:\n  aimx --unix /tmp/aimx.sock get sensor.temperature")]
    Get {
        /// Record name.
        name: String,
    },
    /// Write a record. VALUE is JSON; a bare word like `debug` is taken as a string.
    #[command(
        after_help = "Examples:\n  aimx --unix /tmp/aimx.sock set config.log_level debug\n  aimx --unix /tmp/aimx.sock set actuator.setpoint '{\"target_celsius\":22.5}'"
    )]
    Set {
        /// Record name.
        name: String,
        /// The new value, as JSON.
        value: String,
    },
    /// Print a record's value type as the device describes it (fields, widths, units, ranges).
    #[command(after_help = "Example:\n  aimx --unix /tmp/aimx.sock schema actuator.setpoint")]
    Schema {
        /// Record name.
        name: String,
    },
    /// Print every event of one or more records as it arrives; Ctrl-C stops with a summary.
    #[command(
        after_help = "Examples:\n  aimx --unix /tmp/aimx.sock watch sensor.temperature config.log_level --count 20\n  aimx --unix /tmp/aimx.sock watch sensor.temperature --max-rate 2"
    )]
    Watch {
        /// Record names.
        #[arg(required = true)]
        names: Vec<String>,
        /// Stop after N events (all records together).
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// At most HZ events a second per record (fractional allowed): the
        /// device sends the latest value once per interval and counts the
        /// values it skipped as coalesced, apart from dropped.
        #[arg(long, value_name = "HZ")]
        max_rate: Option<f64>,
        /// Draw the numeric fields as a live chart in the terminal; `q` quits.
        #[arg(long)]
        plot: bool,
    },
    /// Measure round-trip latency: min, median, p99, max.
    #[command(after_help = "Example:\n  aimx --tcp 127.0.0.1:7000 ping --count 100 --interval 0")]
    Ping {
        /// Number of pings.
        #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        count: u32,
        /// Milliseconds between pings.
        #[arg(long, default_value_t = 100, value_name = "MS")]
        interval: u64,
    },
    /// A live dashboard in the browser: records, values, plots, edits.
    #[command(after_help = "Example:\n  aimx ui --unix /tmp/aimx.sock --open")]
    Ui {
        /// Address the page is served on.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        listen: String,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// An interactive session: type raw JSON requests or short forms (`get NAME`,
    /// `set NAME VALUE`, `sub NAME`, …); replies and events print as they arrive.
    #[command(
        after_help = "Example:\n  aimx --unix /tmp/aimx.sock shell\n  aimx> sub sensor.temperature\n  aimx> set config.log_level debug\n  aimx> {\"method\":\"record.get\",\"params\":{\"name\":\"config.log_level\"}}\n\nShort forms: list, get NAME, set NAME VALUE, sub NAME, unsub SUB-ID, ping, info, help, quit.\nUp and down recall earlier lines; Ctrl-D leaves. Input from a pipe is read line by line."
    )]
    Shell,
    /// The server's welcome (name, permissions, writable records, limits) and its counters.
    #[command(after_help = "Example:\n  aimx --unix /tmp/aimx.sock info")]
    Info,
}
