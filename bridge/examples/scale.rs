//! Scale benchmark: N simulated devices (in-process AimX servers on Unix
//! sockets) each publishing R temperatures/s, one bridge, one mosquitto, one
//! MQTT subscriber measuring end-to-end latency (device timestamp → MQTT
//! delivery, same wall clock).
//!
//! ```text
//! cargo run --release -p aimx-bridge --example scale -- [--devices 100] [--rate 100] [--secs 10]
//! ```
//!
//! Devices, bridge and subscriber run on runtimes of their own (named
//! threads), so CPU is reported per part from /proc; mosquitto is started
//! here on a free port (it must be installed) and its CPU is reported too.
//! RSS: the process before the bridge starts and at the end.

#[path = "../tests/common/mosquitto.rs"]
mod mosquitto;
#[path = "../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aimx::record::AnyRecord;
use aimx::{Config as ServerConfig, Registry, Server, SpmcRing};
use aimx_bridge::{Bridge, Config};
use aimx_tokio::TokioClock;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().expect(name))
}

fn runtime(name: &str, threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(threads).thread_name(name).enable_all().build().unwrap()
}

/// CPU seconds (user + system) of this process's threads whose name starts
/// with `prefix`, or of process `pid` as a whole.
fn cpu_of_threads(prefix: &str) -> f64 {
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(prefix) {
            ticks += stat_ticks(&task.path().join("stat"));
        }
    }
    ticks as f64 / 100.0
}

fn stat_ticks(path: &std::path::Path) -> u64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    // After the command: state is field 3; utime and stime are 14 and 15.
    fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Starts one device serving the demo records on `path`, `rate` values/s.
fn device(rt: &tokio::runtime::Runtime, path: &std::path::Path, rate: u64) {
    let temperature: &'static SpmcRing<records::Temperature, 16> = Box::leak(Box::new(records::temperature()));
    let list: [&'static dyn AnyRecord; 3] =
        [temperature, Box::leak(Box::new(records::log_level())), Box::leak(Box::new(records::setpoint()))];
    let list: &'static [&'static dyn AnyRecord] = Box::leak(Box::new(list));
    let server: &'static Server<'static, TokioClock> =
        Box::leak(Box::new(Server::new(Registry::new(list), ServerConfig::new().read_write(), TokioClock)));
    let _ = std::fs::remove_file(path);
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    rt.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for sample in 0.. {
            tick.tick().await;
            temperature.publish(records::Temperature { celsius: records::simulated_celsius(sample) });
        }
    });
    rt.spawn(async move {
        let listener = tokio::net::UnixListener::from_std(listener).unwrap();
        let _ = aimx_tokio::serve_unix(server, listener, |_| {}).await;
    });
}

#[derive(Default)]
struct Seen {
    latencies_us: Vec<u64>,
    dropped: u64,
    duplicates: u64,
    last: HashMap<String, u64>,
    measuring: bool,
}

#[allow(clippy::async_yields_async)]
fn main() {
    let (devices, rate, secs) = (arg("--devices", 100), arg("--rate", 100), arg("--secs", 10));
    let mut broker = mosquitto::Mosquitto::start();
    aimx_tokio::install_time();
    let device_rt = runtime("devices", 1);
    let dir = std::env::temp_dir().join(format!("aimx-bridge-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml =
        format!("[broker]\nurl = \"{}\"\n[bridge]\nconsole = false\nstats_interval_ms = 1000\n", broker.url());
    for i in 0..devices {
        let path = dir.join(format!("d{i}.sock"));
        device(&device_rt, &path, rate);
        toml +=
            &format!("[[device]]\nname = \"d{i}\"\nconnect = \"unix:{}\"\nlink_to = [\"sensor.*\"]\n", path.display());
    }

    // The subscriber: latency of every ring event, gaps checked against `dropped`.
    let watch_rt = runtime("watch", 1);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = broker.port;
    let ready = watch_rt.block_on(async {
        // The receiver is handed out and awaited below, after the spawn.
        let (client, mut eventloop) = AsyncClient::new(MqttOptions::new("scale-watch", "127.0.0.1", port), 1024);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        client.subscribe("aimx/+/sensor.temperature", QoS::AtLeastOnce).await.unwrap();
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(tx) = ready_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let arrived = now_secs();
                        let props: HashMap<String, String> =
                            p.properties.map(|p| p.user_properties.into_iter().collect()).unwrap_or_default();
                        let num = |k: &str| props.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                        let mut seen = seen.lock().unwrap();
                        let key = format!("{}#{}", String::from_utf8_lossy(&p.topic), num("session"));
                        let seq = num("sequence") as u64;
                        let last = seen.last.get(&key).copied().unwrap_or(0);
                        if seq <= last {
                            seen.duplicates += 1;
                            continue;
                        }
                        seen.last.insert(key, seq);
                        if seen.measuring {
                            seen.dropped += num("dropped") as u64;
                            seen.latencies_us.push(((arrived - num("timestamp")) * 1e6).max(0.0) as u64);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("subscriber: {e}");
                        return;
                    }
                }
            }
        });
        ready_rx
    });
    watch_rt.block_on(ready).unwrap();

    std::thread::sleep(Duration::from_millis(500));
    let rss_before = rss_mib();
    let bridge_rt = runtime("bridge", 2);
    let config = Config::parse(&toml).unwrap();
    let bridge = bridge_rt.block_on(async { Bridge::start(config) }).unwrap();
    // Warm-up: every device connected and streaming.
    std::thread::sleep(Duration::from_secs(3));
    let online =
        bridge.devices.iter().filter(|d| d.health.device_online.load(std::sync::atomic::Ordering::Relaxed)).count();
    let cpu = |p: &str| cpu_of_threads(p);
    let mosq = broker.pid().map(|pid| format!("/proc/{pid}/stat"));
    let mosq_cpu = || mosq.as_ref().map_or(0.0, |p| stat_ticks(p.as_ref()) as f64 / 100.0);
    let (b0, d0, w0, m0) = (cpu("bridge"), cpu("devices"), cpu("watch"), mosq_cpu());
    seen.lock().unwrap().measuring = true;
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    seen.lock().unwrap().measuring = false;
    let wall = start.elapsed().as_secs_f64();
    let (b1, d1, w1, m1) = (cpu("bridge"), cpu("devices"), cpu("watch"), mosq_cpu());
    let rss_after = rss_mib();
    let events: u64 = bridge.devices.iter().map(|d| d.health.events.load(std::sync::atomic::Ordering::Relaxed)).sum();
    let bridge_dropped: u64 = bridge.devices.iter().map(|d| d.outbox.dropped_total()).sum();

    let mut seen = seen.lock().unwrap();
    seen.latencies_us.sort_unstable();
    let n = seen.latencies_us.len();
    let pct =
        |p: f64| if n == 0 { 0.0 } else { seen.latencies_us[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0 };
    println!("devices {devices} ({online} online after warm-up), {rate} events/s each, measured {wall:.1} s");
    println!("delivered to the subscriber: {n} events ({:.0}/s; offered {}/s), dropped (reported in events) {}, duplicates {}",
        n as f64 / wall, devices * rate, seen.dropped, seen.duplicates);
    println!(
        "end-to-end latency (device timestamp -> subscriber): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "CPU over the window (100% = one core): bridge {:.0}%, devices {:.0}%, subscriber {:.0}%, mosquitto {:.0}%",
        (b1 - b0) / wall * 100.0,
        (d1 - d0) / wall * 100.0,
        (w1 - w0) / wall * 100.0,
        (m1 - m0) / wall * 100.0
    );
    println!(
        "RSS of this process: {rss_before:.1} MiB before the bridge, {rss_after:.1} MiB at the end (+{:.1} MiB)",
        rss_after - rss_before
    );
    println!(
        "bridge totals since start: {events} events received from devices, {bridge_dropped} dropped by the bridge"
    );
    drop(bridge);
    broker.kill();
    let _ = std::fs::remove_dir_all(&dir);
}
