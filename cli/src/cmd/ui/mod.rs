//! `aimx ui`: a local web dashboard of the device, served by this process.
//! `hub` keeps the device connection, `web` serves the page and its
//! WebSocket, `assets` holds the page's files.

mod assets;
mod hub;
mod web;

use std::sync::Arc;

use crate::args::Conn;
use crate::connect;
use crate::fail::Fail;

pub async fn run(conn: Conn, listen: &str, open: bool) -> Result<(), Fail> {
    // Usage mistakes end here; an unreachable device does not: the page
    // shows it and the hub keeps trying.
    let device = connect::describe(&conn)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Fail::Usage(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Fail::Connection(e.into()))?;
    let url = format!("http://{addr}/");
    println!("aimx ui: {url} (device: {device}; Ctrl-C stops)");
    let hub = hub::Hub::new(device);
    tokio::spawn(hub::run_device(Arc::clone(&hub), conn));
    if open {
        open_browser(&url);
    }
    // Ctrl-C stops at once: open pages hold their WebSockets forever, so a
    // graceful shutdown would wait for them.
    tokio::select! {
        served = axum::serve(listener, web::router(hub)) => served.map_err(|e| Fail::Connection(e.into())),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// Best effort: the URL is printed anyway.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("note: could not start {opener} ({e}); open {url} yourself");
    }
}
