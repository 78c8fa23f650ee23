//! `aimx ui` in a real browser (headless chromium) against the in-process
//! demo: the record table, the live plot, an edit and its error, the
//! device going away and coming back. Needs `chromium` (ci/ui-tools.sh).

#[path = "ui/browser.rs"]
mod browser;
#[path = "../../client/tests/common/mod.rs"]
mod common;
#[path = "ui/proxy.rs"]
mod proxy;
#[path = "ui/server.rs"]
mod server;

use std::path::PathBuf;
use std::time::Duration;

use browser::Browser;
use common::demo::{self, Policy};
use proxy::Proxy;
use serde_json::Value;
use server::AimxUi;

const SNAPSHOT: &str = "window.aimxUi ? window.aimxUi.snapshot() : null";
const TEMPERATURE: &str = "sensor.temperature.celsius";

fn points(snapshot: &Value) -> u64 {
    snapshot["series"][TEMPERATURE]["points"].as_u64().unwrap_or(0)
}

/// The DOM, as a user sees it: names in the table's rows.
const ROW_NAMES: &str = "[...document.querySelectorAll('#records tbody tr')].map(r => r.dataset.name)";

fn edit(value: &str) -> String {
    format!(
        "(() => {{ const f = document.querySelector('tr[data-name=\"config.log_level\"] form');
            f.querySelector('input').value = {value:?}; f.querySelector('button').click(); return true; }})()"
    )
}
const REPLY: &str = "(() => { const r = document.querySelector('tr[data-name=\"config.log_level\"] .reply');
    return {code: r.dataset.code || null, text: r.textContent}; })()";

/// Where screenshots go: under target/, kept by CI as artifacts.
fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_records_plots_edits_and_survives_a_reconnect() {
    let ep = demo::start(Policy::ReadWrite);
    let proxy = Proxy::start(ep.unix.clone()).await;
    let ui = AimxUi::start(&["--tcp", &proxy.addr, "--timeout", "2"]);
    let mut page = Browser::open(&ui.url).await;

    // The record table lists the demo's three records.
    let names = page.wait_for("three rows", ROW_NAMES, |v| v.as_array().is_some_and(|a| a.len() == 3)).await;
    assert_eq!(names, serde_json::json!(["sensor.temperature", "config.log_level", "actuator.setpoint"]));
    let pill = page.wait_for("connected", "document.querySelector('#conn').dataset.state", |v| v == "connected").await;
    assert_eq!(pill, "connected");
    page.wait_for("a ping", "document.querySelector('#ping').textContent", |v| {
        v.as_str().is_some_and(|t| t.ends_with(" ms"))
    })
    .await;

    // The temperature plot gains points over two seconds, and the canvas changes.
    let before = page.wait_for("plotted points", SNAPSHOT, |s| points(s) > 0 && s["frames"].as_u64() > Some(0)).await;
    assert!(before["plotted"].as_array().unwrap().contains(&"sensor.temperature".into()), "{before}");
    let canvas_before = page.eval("document.querySelector('#plot').toDataURL()").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = page.eval(SNAPSHOT).await;
    let gained = points(&after) - points(&before);
    assert!(gained >= 50, "the demo publishes at 50 Hz; gained {gained}: {before} → {after}");
    assert!(after["vertices"].as_u64() > Some(0), "{after}");
    assert_ne!(page.eval("document.querySelector('#plot').toDataURL()").await, canvas_before, "the canvas was redrawn");

    // Pause freezes the picture while values keep counting.
    page.eval("document.querySelector('#pause').click()").await;
    tokio::time::sleep(Duration::from_millis(200)).await; // the one redraw a click asks for
    let frames = page.eval(SNAPSHOT).await["frames"].clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paused = page.eval(SNAPSHOT).await;
    assert_eq!((paused["paused"].clone(), paused["frames"].clone()), (Value::Bool(true), frames));
    assert!(points(&paused) > points(&after), "data keeps arriving while paused");
    page.eval("document.querySelector('#pause').click()").await;

    // An edit round-trips to the device and back through the live value.
    page.eval(&edit("debug")).await;
    let reply = page.wait_for("the reply", REPLY, |r| !r["code"].is_null()).await;
    assert_eq!(reply["code"], "ok", "{reply}");
    assert_eq!(reply["text"], "stored \"debug\"");
    let value_cell = "document.querySelector('tr[data-name=\"config.log_level\"] td.value').textContent";
    page.wait_for("the new value in the table", value_cell, |v| v == "\"debug\"").await;
    let (rc, out, _) = get(&ep.unix, "config.log_level");
    assert_eq!((rc, out.trim()), (0, "\"debug\""), "the device stored it");

    // A bad value shows the device's validation_error.
    page.eval(&edit("loud")).await;
    let reply = page.wait_for("the error", REPLY, |r| r["code"] != "ok" && !r["code"].is_null()).await;
    assert_eq!(reply["code"], "validation_error", "{reply}");
    assert!(reply["text"].as_str().unwrap().starts_with("validation_error: "), "{reply}");

    // A 10 s window: the few seconds this test has seen fill the picture.
    page.eval("(() => { const w = document.querySelector('#window'); w.value = '10'; w.dispatchEvent(new Event('change')); })()").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shot = page.screenshot().await;
    std::fs::write(target_dir().join("ui-dashboard.png"), &shot).unwrap();
    if std::env::var_os("AIMX_UPDATE_README_SHOT").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ui-dashboard.png"), &shot).unwrap();
    }

    // The device goes away: the page says so; it comes back: the plot goes
    // on, with a gap where values were missed.
    proxy.down();
    page.wait_for("disconnected", "document.querySelector('#conn').dataset.state", |v| v == "disconnected").await;
    let gaps = page.eval(SNAPSHOT).await["series"][TEMPERATURE]["gaps"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.up();
    page.wait_for("connected again", "document.querySelector('#conn').dataset.state", |v| v == "connected").await;
    let again = page.eval(SNAPSHOT).await;
    page.wait_for("new points after the reconnect", SNAPSHOT, |s| points(s) > points(&again)).await;
    let last = page.eval(SNAPSHOT).await;
    assert!(last["series"][TEMPERATURE]["gaps"].as_u64().unwrap() > gaps, "a gap marks the outage: {last}");
    assert_eq!(page.eval(ROW_NAMES).await.as_array().unwrap().len(), 3);
    let shot = page.screenshot().await;
    std::fs::write(target_dir().join("ui-dashboard-after-reconnect.png"), &shot).unwrap();
}

fn get(unix: &std::path::Path, name: &str) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--unix", &unix.display().to_string(), "get", name, "--json"])
        .env_remove("AIMX_TOKEN")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}
