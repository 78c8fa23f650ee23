//! `aimx`: a host tool for AimX devices (v1 and 3.0) over Unix sockets, TCP and serial.

mod args;
mod cmd;
mod connect;
mod fail;
mod show;

use clap::Parser;

use args::{Cli, Command};
use fail::Fail;

fn main() {
    let cli = Cli::parse();
    let json = cli.conn.json;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(3);
        }
    };
    if let Err(fail) = runtime.block_on(run(cli)) {
        if json {
            // Scripts reading --json output get the failure as JSON too.
            let error = serde_json::json!({"error": {"code": fail.code(), "message": fail.message()}});
            eprintln!("{error}");
        } else {
            eprintln!("error: {}", fail.message());
        }
        std::process::exit(fail.exit_code());
    }
}

async fn run(cli: Cli) -> Result<(), Fail> {
    let json = cli.conn.json;
    // Usage mistakes are reported before connecting.
    let set_value = match &cli.command {
        Command::Set { value, .. } => Some(cmd::set::parse_value(value)?),
        _ => None,
    };
    if matches!(cli.command, Command::Shell) && cli.conn.wire == aimx_client::Wire::V3 {
        // The shell's short forms expand to v1 request lines.
        return Err(Fail::Usage("the shell speaks v1 only; drop --wire v3".into()));
    }
    if let Command::Ui { listen, open } = &cli.command {
        return cmd::ui::run(cli.conn, listen, *open).await;
    }
    let client = connect::connect(&cli.conn).await?;
    match cli.command {
        Command::List => cmd::list::run(&client, json).await,
        Command::Get { name } => cmd::get::run(&client, &name, json).await,
        Command::Schema { name } => cmd::schema::run(&client, &name, json).await,
        Command::Set { name, .. } => cmd::set::run(&client, &name, set_value.unwrap_or_default(), json).await,
        Command::Watch { names, count, max_rate, plot: false } => {
            cmd::watch::run(&client, &names, count, max_rate, json).await
        }
        Command::Watch { names, count, max_rate, plot: true } => cmd::plot::run(&client, &names, count, max_rate).await,
        Command::Ping { count, interval } => cmd::ping::run(&client, count, interval, json).await,
        Command::Info => cmd::info::run(&client, json).await,
        Command::Shell => {
            let place = connect::describe(&cli.conn)?;
            cmd::shell::run(&client, &place, std::time::Duration::from_secs_f64(cli.conn.timeout)).await
        }
        Command::Ui { .. } => unreachable!("served above"),
    }
}
