//! The demo server on smol (the successor of async-std; same adapter code):
//! `cargo run --release -p aimx-smol-demo -- --unix /tmp/aimx.sock [--tcp ADDR [--tls-cert PEM --tls-key PEM]] …`

use aimx::{Registry, Server};
use aimx_async_std::{serve_incoming, serve_incoming_with, IoClock, ServeOptions, SmolSpawner};
use aimx_demo_common::demo;
use async_signal::{Signal, Signals};
use futures_lite::StreamExt;

fn main() {
    let args = demo::args();
    aimx_async_std::install_time();
    let config = demo::config(&args, concat!("aimx-smol-demo/", env!("CARGO_PKG_VERSION")));
    let server: &'static Server<'static, IoClock> =
        Box::leak(Box::new(Server::new(Registry::new(&demo::RECORDS), config, IoClock)));
    smol::block_on(async {
        let mut listeners = Vec::new();
        if let Some(path) = &args.unix {
            let _ = std::fs::remove_file(path);
            let listener =
                smol::net::unix::UnixListener::bind(path).unwrap_or_else(|e| demo::fail(&format!("bind {path}: {e}")));
            println!("listening on unix {path}");
            listeners.push(smol::spawn(serve_incoming(server, listener, SmolSpawner, log)));
        }
        if let Some(addr) = &args.tcp {
            let listener =
                smol::net::TcpListener::bind(addr).await.unwrap_or_else(|e| demo::fail(&format!("bind {addr}: {e}")));
            println!("listening on tcp {}", listener.local_addr().map_or(addr.clone(), |a| a.to_string()));
            let mut options = ServeOptions::default();
            if let Some(idle) = args.idle_timeout {
                options.idle_timeout = idle;
            }
            if let Some(tls) = demo::tls(&args) {
                options = options.tls(tls);
            }
            let accepting = serve_incoming_with(server, listener, SmolSpawner, options, log, std::future::pending());
            listeners.push(smol::spawn(accepting));
        }
        demo::announce(&args);
        // smol cancels a task whose handle is dropped: detach the background ones.
        smol::spawn(demo::produce_temperature(IoClock, args.rate_hz)).detach();
        smol::spawn(demo::follow_setpoint()).detach();
        smol::spawn(demo::follow_log_level()).detach();
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
