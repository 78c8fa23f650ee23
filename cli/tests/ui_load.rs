//! `aimx ui` at 1 kHz in headless chromium: every value the device produced
//! is either shown or counted as dropped (nothing lost silently), and the
//! page keeps drawing. Prints the rates and draw times it saw; asserts no
//! timing. Needs `chromium` (ci/ui-tools.sh).

#[path = "ui/browser.rs"]
mod browser;
#[path = "../../client/tests/common/mod.rs"]
mod common;
#[path = "ui/server.rs"]
mod server;

use std::time::Duration;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SpmcRing};
use aimx_tokio::TokioClock;
use browser::Browser;
use common::demo;
use common::records::{self, Temperature};
use serde_json::Value;
use server::AimxUi;

/// The demo's records with the temperature published at 1 kHz.
fn fast_server() -> &'static demo::DemoServer {
    let temperature: &'static SpmcRing<Temperature, 16> = Box::leak(Box::new(records::temperature()));
    let list: [&'static dyn AnyRecord; 3] =
        [temperature, Box::leak(Box::new(records::log_level())), Box::leak(Box::new(records::setpoint()))];
    let list: &'static [&'static dyn AnyRecord] = Box::leak(Box::new(list));
    demo::runtime().spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        for sample in 0.. {
            tick.tick().await;
            temperature.publish(Temperature { celsius: records::simulated_celsius(sample) });
        }
    });
    let config = Config::new().name("aimx-demo/1khz").read_write();
    Box::leak(Box::new(Server::new(Registry::new(list), config, TokioClock)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_events_a_second_are_all_accounted_for() {
    let ep = demo::listen(fast_server());
    let ui = AimxUi::start(&["--unix", &ep.unix.display().to_string()]);
    let mut page = Browser::open(&ui.url).await;
    let snapshot = "window.aimxUi ? window.aimxUi.snapshot() : null";
    let temperature = |s: &Value| s["totals"]["sensor.temperature"].clone();
    let first = page.wait_for("events", snapshot, |s| temperature(s)["events"].as_u64() > Some(100)).await;
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let last = page.eval(snapshot).await;
    let secs = started.elapsed().as_secs_f64();
    let (t0, t1) = (temperature(&first), temperature(&last));
    let count = |t: &Value, k: &str| t[k].as_u64().unwrap();

    // Every value produced since the subscription began (sequence counts
    // them from 1) is an event the page counted or a drop it counted.
    assert_eq!(count(&t1, "events") + count(&t1, "dropped"), count(&t1, "lastSeq"), "{t1}");
    let points = last["series"]["sensor.temperature.celsius"]["points"].as_u64().unwrap();
    assert!(points > 0 && count(&t1, "events") > count(&t0, "events"), "{last}");
    // Where values were dropped while the page watched, the plot has gaps
    // (the demo's 16-value ring overflows whenever this 2-core machine stalls
    // the reader). The totals count from the moment `aimx ui` subscribed, so
    // drops from before the page connected (chromium starting up) have no
    // point to break; only the drops after the first snapshot must show.
    let gaps = last["series"]["sensor.temperature.celsius"]["gaps"].as_u64().unwrap();
    if count(&t1, "dropped") > count(&t0, "dropped") {
        assert!(gaps > 0, "drops while the page watched but no gap drawn: {first} -> {last}");
    }
    let frames = last["frames"].as_u64().unwrap() - first["frames"].as_u64().unwrap();
    assert!(frames > 0, "the page kept drawing: {last}");

    let shot = page.screenshot().await;
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    std::fs::write(target.join("ui-dashboard-1khz.png"), shot).unwrap();

    let received = (count(&t1, "events") - count(&t0, "events")) as f64 / secs;
    let dropped = count(&t1, "dropped") - count(&t0, "dropped");
    let draw: Vec<f64> = last["drawMs"].as_array().unwrap().iter().filter_map(Value::as_f64).collect();
    // The reference, same server, same moment: plain `aimx watch`.
    let watch = std::process::Command::new(env!("CARGO_BIN_EXE_aimx"))
        .args(["--unix", &ep.unix.display().to_string(), "watch", "sensor.temperature", "--json", "--count", "3000"])
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&watch.stderr).trim().to_owned();
    println!("1 kHz reference, aimx watch --count 3000: {summary}");
    println!(
        "1 kHz: {received:.0} events/s shown, {dropped} dropped (counted) in {secs:.2} s, {:.1} frames/s, \
         median draw {:.2} ms over {} draws, {points} points held, {gaps} gaps",
        frames as f64 / secs,
        median(draw.clone()),
        draw.len()
    );
}
