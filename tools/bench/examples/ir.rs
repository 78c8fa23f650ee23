//! Runs one session operation N times, for exact instruction counts under
//! `valgrind --tool=callgrind` (the least noisy A/B on a loaded machine):
//! `ir get|get-pooled|pipelined|event|event8|burst8 N`. Subtract a run of N from one of 2N
//! for the cost of N operations without the setup.
//!
//! - `get`: one `record.get` line per read, answered and written.
//! - `get-pooled`: the same, served as the std adapters serve a session
//!   (`serve_pooled`): the reply buffer and the line reader are taken from
//!   their pools on every request and given back before the session waits,
//!   as under `aimx-loadgen sequential`.
//! - `pipelined`: N `record.get` lines sent in bursts of [`BURST`], each
//!   burst one poll of a session served as the std adapters serve it
//!   (`serve_pooled`): it reads them 1 KiB at a time and writes 1 KiB of
//!   replies at a time, as under `aimx-loadgen pipelined`. The difference
//!   divided by N is the instructions per pipelined reply.
//! - `event`, `event8`: one publish delivered to 1 or 8 subscribers
//!   (values stamped zero: no clock source is installed).
//! - `burst8`: eight subscribers, each woken once per eight values
//!   published (as the demo's producer publishes several per timer tick),
//!   stamped as a host's clock stamps them. Per op: 8 publishes, 64 events.

#[path = "../benches/mem_session.rs"]
#[allow(dead_code)] // parts are for the benches
mod mem_session;

use aimx::record::AnyRecord;
use aimx::SpmcRing;
use mem_session::MemSession;
use serde::Serialize;

#[derive(Clone, Copy, Serialize)]
struct Temperature {
    celsius: f32,
}

const GET: &[u8] = b"{\"id\":17,\"method\":\"record.get\",\"params\":{\"name\":\"sensor.temperature\"}}\n";
/// Lines per burst of `pipelined` (one poll of the session).
const BURST: u32 = 100;
const SUBSCRIBE: &[u8] = b"{\"id\":19,\"method\":\"record.subscribe\",\"params\":{\"name\":\"sensor.temperature\"}}\n";

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_default();
    let n: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let ring: &'static SpmcRing<Temperature, 16> =
        Box::leak(Box::new(SpmcRing::new("sensor.temperature", "Temperature").source()));
    ring.publish(Temperature { celsius: 21.5 });
    let records: &'static [&'static dyn AnyRecord] = Box::leak(Box::new([ring as &dyn AnyRecord]));
    let subscribers = match what.as_str() {
        "get" | "get-pooled" | "pipelined" => 0,
        "event" => 1,
        "event8" | "burst8" => 8,
        _ => panic!("usage: ir get|get-pooled|pipelined|event|event8|burst8 N"),
    };
    if what == "pipelined" {
        assert!(n % BURST == 0, "N must be a multiple of {BURST}");
        let burst = GET.repeat(BURST as usize);
        let mut session = MemSession::pooled(records);
        let bytes: usize = (0..n / BURST).map(|_| session.exchange(&burst)).sum();
        assert_eq!(bytes, session.output().len() * (n / BURST) as usize, "every burst answered alike");
        println!("{what} x{n}: {bytes} bytes");
        return;
    }
    let open = if what == "get-pooled" { MemSession::pooled } else { MemSession::new };
    let mut sessions: Vec<MemSession> = (0..subscribers.max(1)).map(|_| open(records)).collect();
    for s in sessions.iter_mut().take(subscribers) {
        assert!(s.exchange(SUBSCRIBE) > 0);
    }
    let per_wake = if what == "burst8" { 8 } else { 1 };
    let mut bytes = 0;
    for i in 0..n {
        if subscribers == 0 {
            bytes += sessions[0].exchange(GET);
        } else {
            for j in 0..per_wake {
                let value = Temperature { celsius: 20.0 + ((i * per_wake + j) % 100) as f32 / 10.0 };
                if per_wake == 1 {
                    ring.publish(value);
                } else {
                    // Stamped as a host's clock would (2025, 100 µs apart).
                    let at = 1_764_332_412_000_000_000 + u64::from(i * per_wake + j) * 100_000;
                    ring.publish_at(value, aimx::Timestamp::from_nanos(at));
                }
            }
            for s in &mut sessions {
                bytes += s.exchange(b"");
            }
        }
    }
    println!("{what} x{n}: {bytes} bytes");
}
