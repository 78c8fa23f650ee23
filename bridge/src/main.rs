//! `aimx-bridge --config bridge.toml`: runs until Ctrl-C, then marks every
//! device offline and disconnects cleanly.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: aimx-bridge --config FILE.toml\n\
    Mirrors AimX devices' records to an MQTT broker and back (see docs/bridge.md).";

fn config_path() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" | "-c" => path = Some(args.next().ok_or("--config needs a file")?),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    path.map(PathBuf::from).ok_or_else(|| "--config FILE is required".into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = config_path().and_then(|path| aimx_bridge::Config::load(&path));
    let bridge = match config.and_then(aimx_bridge::Bridge::start) {
        Ok(bridge) => bridge,
        Err(e) => {
            eprintln!("aimx-bridge: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let _ = tokio::signal::ctrl_c().await;
    println!("shutting down");
    bridge.shutdown().await;
    ExitCode::SUCCESS
}
