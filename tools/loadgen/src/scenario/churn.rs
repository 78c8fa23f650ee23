//! For the soak: workers that connect, do random requests, re-hello at random,
//! and drop their connection at random (sometimes in the middle of a line).
//! Every event stream they see must balance; any other surprise is a failure.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::args::Args;
use crate::conn::{Conn, Res};
use crate::report::Row;
use crate::scenario::fanout::Tally;

const WORKERS: u64 = 16;

/// xorshift64*: enough randomness for choosing actions, and reproducible from `--seed`.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[derive(Default)]
struct Counts {
    sessions: u64,
    requests: u64,
    rehellos: u64,
    abrupt: u64,
    events: u64,
    gaps: u64,
}

/// Takes the events a session has read so far into per-subscription tallies.
fn take_events(c: &mut Conn, tallies: &mut HashMap<String, Tally>, n: &mut Counts) {
    for v in c.events.drain(..) {
        let event = &v["event"];
        let sub = event["subscription_id"].as_str().unwrap_or("").to_owned();
        n.events += 1;
        n.gaps += u64::from(!tallies.entry(sub).or_default().add(event, None));
    }
}

/// One session's life; `Ok` whether it ended politely or abruptly.
async fn session(args: &Args, rng: &mut Rng, n: &mut Counts) -> Res<()> {
    let mut c = Conn::open(args).await?;
    n.sessions += 1;
    let mut tallies = HashMap::new();
    for _ in 0..1 + rng.below(40) {
        let (method, params) = match rng.below(10) {
            0..=3 => ("record.get", args.get_params()),
            4 | 5 => ("record.subscribe", json!({"name": args.sub_record(), "queue_size": 1 + rng.below(16)})),
            6 => ("record.list", json!({})),
            7 => ("ping", json!({})),
            8 => {
                c.hello(args).await?; // a restart: the old subscriptions end
                tallies.clear();
                n.rehellos += 1;
                continue;
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(rng.below(50))).await;
                continue;
            }
        };
        let reply: Value = c.call_raw(method, params).await?;
        n.requests += 1;
        if let Some(e) = reply.get("error") {
            if e["code"] != "too_many_subscriptions" {
                return Err(format!("{method}: {e}"));
            }
        }
        take_events(&mut c, &mut tallies, n);
    }
    if rng.below(3) == 0 {
        // Leave in the middle of a request: the server must just close.
        let whole = c.frames.frame(&c.frames.request(1, "record.get", &args.get_params()));
        let _ = c.tx.write_all(&whole[..whole.len() / 2]).await;
        n.abrupt += 1;
    }
    Ok(())
}

pub async fn run(args: &Arc<Args>) -> Res<Row> {
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let args = args.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(w) | 1);
            let (mut n, mut failures) = (Counts::default(), Vec::new());
            while Instant::now() < until {
                if let Err(e) = session(&args, &mut rng, &mut n).await {
                    failures.push(e);
                }
            }
            (n, failures)
        }));
    }
    let (mut n, mut failures) = (Counts::default(), Vec::new());
    for t in tasks {
        let (c, f) = t.await.map_err(|e| e.to_string())?;
        (n.sessions, n.requests, n.rehellos) =
            (n.sessions + c.sessions, n.requests + c.requests, n.rehellos + c.rehellos);
        (n.abrupt, n.events, n.gaps) = (n.abrupt + c.abrupt, n.events + c.events, n.gaps + c.gaps);
        failures.extend(f);
    }
    let mut row = Row::new("churn");
    row.throughput = format!("{} sessions, {} requests, {} events", n.sessions, n.requests, n.events);
    row.latency = format!("{} re-hellos, {} abrupt closes", n.rehellos, n.abrupt);
    row.failures = failures.len() as u64 + n.gaps;
    row.note = format!("{} silent gaps{}", n.gaps, failures.first().map_or(String::new(), |f| format!(", first: {f}")));
    row.json = json!({
        "sessions": n.sessions, "requests": n.requests, "events": n.events, "rehellos": n.rehellos,
        "abrupt_closes": n.abrupt, "silent_gaps": n.gaps, "failures": failures.len(), "first_failure": failures.first(),
    });
    Ok(row)
}
