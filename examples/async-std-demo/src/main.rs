//! The demo server on async-std (discontinued upstream; see smol_demo):
//! `cargo run --release -p aimx-async-std-demo -- --unix /tmp/aimx.sock [--tcp ADDR [--tls-cert PEM --tls-key PEM]] …`

use aimx::{Registry, Server};
use aimx_async_std::{serve_incoming, serve_incoming_with, AsyncStdSpawner, IoClock, ServeOptions};
use aimx_demo_common::demo;
use async_signal::{Signal, Signals};
use futures_lite::StreamExt;

fn main() {
    let args = demo::args();
    aimx_async_std::install_time();
    let config = demo::config(&args, concat!("aimx-async-std-demo/", env!("CARGO_PKG_VERSION")));
    let server: &'static Server<'static, IoClock> =
        Box::leak(Box::new(Server::new(Registry::new(&demo::RECORDS), config, IoClock)));
    async_std::task::block_on(async {
        let mut listeners = Vec::new();
        if let Some(path) = &args.unix {
            let _ = std::fs::remove_file(path);
            let listener = async_std::os::unix::net::UnixListener::bind(path)
                .await
                .unwrap_or_else(|e| demo::fail(&format!("bind {path}: {e}")));
            println!("listening on unix {path}");
            listeners.push(async_std::task::spawn(serve_incoming(server, listener, AsyncStdSpawner, log)));
        }
        if let Some(addr) = &args.tcp {
            let listener = async_std::net::TcpListener::bind(addr)
                .await
                .unwrap_or_else(|e| demo::fail(&format!("bind {addr}: {e}")));
            println!("listening on tcp {}", listener.local_addr().map_or(addr.clone(), |a| a.to_string()));
            let mut options = ServeOptions::default();
            if let Some(idle) = args.idle_timeout {
                options.idle_timeout = idle;
            }
            if let Some(tls) = demo::tls(&args) {
                options = options.tls(tls);
            }
            let accepting =
                serve_incoming_with(server, listener, AsyncStdSpawner, options, log, std::future::pending());
            listeners.push(async_std::task::spawn(accepting));
        }
        demo::announce(&args);
        async_std::task::spawn(demo::produce_temperature(IoClock, args.rate_hz));
        async_std::task::spawn(demo::follow_setpoint());
        async_std::task::spawn(demo::follow_log_level());
        // Ctrl-C and SIGTERM end the demo and remove the socket file.
        let mut signals =
            Signals::new([Signal::Int, Signal::Term]).unwrap_or_else(|e| demo::fail(&format!("signal handler: {e}")));
        let accepting = async {
            for listener in listeners {
                if let Err(e) = listener.await {
                    demo::fail(&format!("accepting failed: {e}"));
                }
            }
        };
        futures_lite::future::or(accepting, async {
            signals.next().await;
        })
        .await;
    });
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
    }
    println!("stopped");
}

fn log(note: aimx_async_std::SessionNote<'_>) {
    println!("{note}");
}
