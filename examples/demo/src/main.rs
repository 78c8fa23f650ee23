//! The demo server: the three demo records over Unix and/or TCP, on tokio.
//!
//! ```text
//! cargo run --release -p aimx-demo -- --unix /tmp/aimx.sock [--tcp 127.0.0.1:7000]
//!     [--token TOKEN] [--read-only] [--rate-hz 10] [--max-sessions 64] [--buffers 1024]
//! ```
//!
//! Each connection is served in its own task (through `aimx::Spawn`). Try it
//! by hand: `nc -U /tmp/aimx.sock`, then type `{"version":"1.0"}` and
//! `{"id":1,"method":"record.list"}`. Ctrl-C or SIGTERM shuts down gracefully: accepting
//! stops, open sessions finish their replies and close.

use std::time::Duration;

use aimx::{Registry, Server};
use aimx_demo_common::demo;
use aimx_tokio::{SessionNote, TokioClock};

fn log(note: SessionNote<'_>) {
    println!("{note}");
}

#[tokio::main]
async fn main() {
    let args = demo::args();
    // The buffer sizes are the server's type parameters: one instance each.
    match args.buffers {
        Some(512) => serve::<512, 512>(args).await,
        Some(16384) => serve::<16384, 16384>(args).await,
        _ => serve::<1024, 1024>(args).await,
    }
}

async fn serve<const LINE: usize, const OUT: usize>(args: aimx_demo_common::args::DemoArgs) {
    aimx_tokio::install_time();
    let config = demo::config(&args, concat!("aimx-demo/", env!("CARGO_PKG_VERSION")));
    let server: &'static Server<'static, TokioClock, 4, LINE, OUT> =
        Box::leak(Box::new(Server::new(Registry::new(&demo::RECORDS), config, TokioClock)));

    let stop = tokio::sync::watch::channel(false);
    let stopped = || {
        let mut rx = stop.1.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut listeners = tokio::task::JoinSet::new();
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
        let listener =
            tokio::net::UnixListener::bind(path).unwrap_or_else(|e| demo::fail(&format!("bind {path}: {e}")));
        println!("listening on unix {path}");
        listeners.spawn(aimx_tokio::serve_unix_until(server, listener, log, stopped()));
    }
    if let Some(addr) = &args.tcp {
        let listener =
            tokio::net::TcpListener::bind(addr).await.unwrap_or_else(|e| demo::fail(&format!("bind {addr}: {e}")));
        println!("listening on tcp {}", listener.local_addr().map_or(addr.clone(), |a| a.to_string()));
        let mut options = aimx_tokio::TcpOptions::new();
        if let Some(idle) = args.idle_timeout {
            options = options.idle_timeout(idle);
        }
        if let Some(tls) = demo::tls(&args) {
            options = options.tls(tls);
        }
        listeners.spawn(aimx_tokio::serve_tcp_with(server, listener, options, log, stopped()));
    }
    demo::announce(&args);
    tokio::spawn(demo::produce_temperature(TokioClock, args.rate_hz));
    tokio::spawn(demo::follow_setpoint());
    tokio::spawn(demo::follow_log_level());

    // Ctrl-C and SIGTERM (what `kill` and service managers send) both shut
    // down gracefully, so the socket file is removed either way.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .unwrap_or_else(|e| demo::fail(&format!("SIGTERM handler: {e}")));
    tokio::select! {
        Some(Ok(Err(e))) = listeners.join_next() => demo::fail(&format!("accepting failed: {e}")),
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    println!("shutting down");
    let _ = stop.0.send(true);
    while listeners.join_next().await.is_some() {}
    let left = aimx_tokio::shutdown(server, Duration::from_secs(2)).await;
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
    }
    println!("stopped ({left} sessions did not finish in time)");
}
