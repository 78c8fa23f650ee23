//! N subscribers on one record while a writer sets it (or the server's own
//! producer runs): events/s, and the accounting check on every subscriber:
//! each event's `sequence` is the previous one + 1 + its `dropped`, so
//! `last sequence == delivered + sum(dropped)`; any other jump is a silent gap.
//! With `--counter-field PATH` the writer numbers its values (1, 2, 3… at
//! PATH inside the value) and that counter stands in for `sequence`, so a
//! server whose `sequence` counts deliveries is held to the same check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::conn::{Conn, Reader, Res};
use crate::frames::Frames;
use crate::procfs::CpuMeter;
use crate::report::Row;
use crate::scenario::sessions::open_many;
use serde_json::{json, Value};

/// What one subscriber saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub delivered: u64,
    pub dropped: u64,
    pub last_seq: u64,
    /// Events whose sequence was not previous + 1 + dropped.
    pub gaps: u64,
    /// Bytes of the event lines, newline included.
    pub bytes: u64,
}

impl Tally {
    /// Takes one event; `false` when it broke the accounting. `counter`:
    /// the path of the writer's counter inside `data`, read instead of
    /// `sequence`.
    pub fn add(&mut self, event: &Value, counter: Option<&str>) -> bool {
        let seq = match counter {
            Some(path) => path.split('.').fold(&event["data"], |v, key| &v[key]).as_u64().unwrap_or(0),
            None => event["sequence"].as_u64().unwrap_or(0),
        };
        let dropped = event.get("dropped").and_then(Value::as_u64).unwrap_or(0);
        let ok = seq == self.last_seq + 1 + dropped;
        self.gaps += u64::from(!ok);
        self.delivered += 1;
        self.dropped += dropped;
        self.last_seq = seq;
        ok
    }

    /// The issue's check: nothing skipped without being counted.
    pub fn balanced(&self) -> bool {
        self.gaps == 0 && self.last_seq == self.delivered + self.dropped
    }
}

/// Reads events until the reply to the unsubscribe arrives.
async fn follow(
    mut rx: Reader,
    frames: Frames,
    early: Vec<Value>,
    last: Arc<AtomicU64>,
    counter: Option<String>,
) -> Res<Tally> {
    let (mut tally, mut frame) = (Tally::default(), Vec::new());
    // Events read while the subscription was being confirmed (v3).
    for v in &early {
        tally.add(&v["event"], counter.as_deref());
    }
    loop {
        let bytes = frames.read(&mut rx, &mut frame).await.map_err(|e| format!("a subscriber: {e}"))?;
        let v: Value = frames.parse(&frame)?;
        if let Some(event) = v.get("event") {
            tally.add(event, counter.as_deref());
            tally.bytes += bytes as u64;
            last.store(tally.last_seq, Ordering::Relaxed);
        } else if v.get("result").is_some() {
            return Ok(tally); // the unsubscribe reply (v3: the pong after it): no event may follow it
        } else {
            return Err(format!("unexpected line: {v}"));
        }
    }
}

/// Sets the record as fast as replies come back (32 requests in flight).
async fn write(args: &Args, until: Instant) -> Res<u64> {
    let mut c = Conn::open(args).await?;
    let (mut sent, mut ok, mut in_flight) = (0usize, 0u64, 0);
    while Instant::now() < until || in_flight > 0 {
        while in_flight < 32 && Instant::now() < until {
            let value = match &args.counter_field {
                Some(path) => numbered(&args.set_values[0], path, sent as u64 + 1),
                None => args.set_values[sent % args.set_values.len()].clone(),
            };
            c.request("record.set", json!({"name": args.set_record, "value": value})).await?;
            sent += 1;
            in_flight += 1;
        }
        let v = c.json().await?;
        if v.get("event").is_none() {
            in_flight -= 1;
            ok += u64::from(v.get("result").is_some());
        }
    }
    Ok(ok)
}

/// `template` with `n` at the dotted `path` (objects created on the way;
/// a template that is not an object is replaced by one).
fn numbered(template: &Value, path: &str, n: u64) -> Value {
    let mut value = if template.is_object() { template.clone() } else { json!({}) };
    let mut at = &mut value;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if !at.is_object() {
            *at = json!({});
        }
        let slot = at.as_object_mut().expect("made an object above").entry(key).or_insert(Value::Null);
        if keys.peek().is_none() {
            *slot = n.into();
            break;
        }
        at = slot;
    }
    value
}

/// What one stretch of fan-out measured on one server.
struct Measured {
    tallies: Vec<Tally>,
    wall: f64,
    /// The writer's confirmed sets (`None` with the producer).
    sets: Option<u64>,
    tail_missing: u64,
    /// `None` once any stretch had no CPU reading.
    cpu: Option<f64>,
}

impl Measured {
    /// Adds a later stretch of the same scenario.
    fn absorb(&mut self, later: Measured) {
        self.tallies.extend(later.tallies);
        self.wall += later.wall;
        self.sets = self.sets.zip(later.sets).map(|(a, b)| a + b);
        self.tail_missing += later.tail_missing;
        self.cpu = self.cpu.zip(later.cpu).map(|(a, b)| a + b);
    }

    fn row(self, args: &Args, record: &str, n: usize, slices: usize) -> Row {
        let mut row = row(args, record, n, self.wall, self.sets, self.tail_missing, &self.tallies);
        row.json["slices"] = slices.into();
        let delivered: u64 = self.tallies.iter().map(|t| t.delivered).sum();
        if let (Some(cpu), true) = (self.cpu, delivered > 0) {
            let per_event = cpu / delivered as f64 * 1e6;
            row.cpu = format!("{per_event:.3} µs/event");
            row.key = Some(("server CPU µs per delivered event", per_event));
            row.json["server_cpu_s"] = cpu.into();
            row.json["server_cpu_us_per_event"] = per_event.into();
        }
        row
    }
}

/// The server alone, for `--seconds`.
pub async fn run(args: &Arc<Args>, subscribers: usize) -> Res<Row> {
    let measured = measure(args, subscribers, args.seconds).await?;
    Ok(measured.row(args, args.sub_record(), subscribers, 1))
}

/// The floor and the server in alternating slices (`--slices`, each a
/// fresh set of subscribers for `--seconds`/N), so the machine's drift
/// weighs on both alike: the floor's row, then the server's.
pub async fn paired(floor: &Arc<Args>, args: &Arc<Args>, subscribers: usize) -> (Res<Row>, Res<Row>) {
    let slices = args.slices.max(1);
    let length = args.seconds / slices as f64;
    // One server's slices so far (`None` before the first).
    type Side<'a> = (&'a Arc<Args>, Option<Measured>);
    let step = async |(who, sum): &mut Side<'_>| {
        let m = measure(who, subscribers, length).await?;
        match sum {
            Some(sum) => sum.absorb(m),
            None => *sum = Some(m),
        }
        Ok(())
    };
    let row = |(who, sum): Side<'_>| {
        let sum = sum.expect("every side ran at least one slice");
        sum.row(who, who.sub_record(), subscribers, slices)
    };
    super::alternate(Ok((floor, None)), Ok((args, None)), slices, step, row).await
}

/// `subscribers` sessions subscribed for `seconds`, then unsubscribed.
async fn measure(args: &Arc<Args>, subscribers: usize, seconds: f64) -> Res<Measured> {
    let record = args.sub_record().to_owned();
    let (mut conns, failed) = open_many(args, subscribers).await;
    if let Some(e) = failed.first() {
        return Err(format!("{} of {subscribers} subscribers could not connect: {e}", failed.len()));
    }
    // v3 has no `send_initial`: a subscription's first update is the value
    // current when it began, so its `seq` ends one past the writer's count.
    let initial = match args.frames().v3 && !args.producer {
        true => u64::from(conns[0].call("record.get", json!({"name": record})).await.is_ok()),
        false => 0,
    };
    for c in &mut conns {
        c.call("record.subscribe", json!({"name": record, "send_initial": false})).await?;
    }
    let (mut tasks, mut writers, mut lasts) = (Vec::new(), Vec::new(), Vec::new());
    for c in conns {
        let last = Arc::new(AtomicU64::new(0));
        lasts.push(last.clone());
        tasks.push(tokio::spawn(follow(c.rx, c.frames, c.events, last, args.counter_field.clone())));
        writers.push(c.tx);
    }
    let cpu = CpuMeter::start(args.server_pid);
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let sets = if args.producer {
        tokio::time::sleep_until(until.into()).await;
        None
    } else {
        Some(write(args, until).await?)
    };
    let wall = start.elapsed().as_secs_f64();
    // The newest value is never dropped: with a writer, every subscriber must reach it.
    let mut tail_missing = 0;
    if let Some(sets) = sets.map(|n| n + initial) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while lasts.iter().any(|l| l.load(Ordering::Relaxed) < sets) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tail_missing = lasts.iter().filter(|l| l.load(Ordering::Relaxed) != sets).count() as u64;
    }
    let frames = args.frames();
    let unsubscribe = if frames.v3 {
        // Each subscriber's only sub is its second frame (id 2); `unsub`
        // has no reply, the pong after it ends the follower.
        [frames.frame(r#"{"t":"unsub","sub":"2"}"#), frames.frame(r#"{"t":"ping"}"#)].concat()
    } else {
        let params = json!({"subscription_id": "sub-1"});
        frames.frame(&frames.request(999_999, "record.unsubscribe", &params))
    };
    for tx in &mut writers {
        tokio::io::AsyncWriteExt::write_all(tx, &unsubscribe).await.map_err(|e| e.to_string())?;
    }
    let mut tallies = Vec::new();
    for t in tasks {
        tallies.push(t.await.map_err(|e| e.to_string())??);
    }
    // CPU up to the last event read, so every delivered event's cost is in it.
    let cpu = cpu.elapsed();
    drop(writers);
    Ok(Measured { tallies, wall, sets, tail_missing, cpu })
}

fn row(args: &Args, record: &str, n: usize, wall: f64, sets: Option<u64>, tail_missing: u64, t: &[Tally]) -> Row {
    let delivered: u64 = t.iter().map(|t| t.delivered).sum();
    let dropped: u64 = t.iter().map(|t| t.dropped).sum();
    let unbalanced = t.iter().filter(|t| !t.balanced()).count() as u64;
    let gaps: u64 = t.iter().map(|t| t.gaps).sum();
    let bytes: u64 = t.iter().map(|t| t.bytes).sum();
    let per_sub = delivered as f64 / n as f64 / wall;
    let mut row = Row::new(format!("fan-out {n} sub{}", if n == 1 { "" } else { "s" }));
    row.throughput = format!("{per_sub:.0} ev/s per sub, {:.0} total", delivered as f64 / wall);
    row.latency = match sets {
        Some(s) => format!("writer {:.0} sets/s, {dropped} dropped", s as f64 / wall),
        None => format!("producer, {dropped} dropped"),
    };
    row.latency += &format!(", {} B/event", bytes / delivered.max(1));
    row.failures = unbalanced + tail_missing;
    row.note = format!("{gaps} silent gaps, {unbalanced} unbalanced, {tail_missing} missed the last value");
    row.json = json!({
        "subscribers": n, "record": record, "source": if args.producer { "producer" } else { "writer" },
        "seconds": wall, "sets": sets, "delivered": delivered, "dropped": dropped,
        "events_per_s_per_subscriber": per_sub, "events_per_s_total": delivered as f64 / wall,
        "silent_gaps": gaps, "event_bytes": bytes, "unbalanced_subscribers": unbalanced, "tail_missing": tail_missing,
        "per_subscriber": t.iter().map(|t| json!([t.last_seq, t.delivered, t.dropped])).collect::<Vec<_>>(),
    });
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_catches_a_silent_gap() {
        let mut t = Tally::default();
        assert!(t.add(&json!({"sequence": 1}), None));
        assert!(t.add(&json!({"sequence": 5, "dropped": 3}), None));
        assert!(t.balanced());
        assert!(!t.add(&json!({"sequence": 7}), None)); // 6 vanished without a `dropped`
        assert!(!t.balanced());
    }

    #[test]
    fn a_counter_in_the_value_stands_in_for_sequence() {
        // A server whose sequence counts deliveries: 1, 2, 3 although value 2 was lost.
        let ev = |seq: u64, n: u64| json!({"sequence": seq, "data": {"m": {"n": n}}});
        let mut by_seq = Tally::default();
        let mut by_counter = Tally::default();
        for (seq, n) in [(1, 1), (2, 3), (3, 4)] {
            by_seq.add(&ev(seq, n), None);
            by_counter.add(&ev(seq, n), Some("m.n"));
        }
        assert!(by_seq.balanced(), "the delivery count hides the loss");
        assert_eq!((by_counter.gaps, by_counter.balanced()), (1, false), "the counter shows it");
    }

    #[test]
    fn numbered_values_keep_the_template() {
        assert_eq!(numbered(&json!({"target_celsius": 20.0}), "n", 7), json!({"target_celsius": 20.0, "n": 7}));
        assert_eq!(numbered(&json!("info"), "a.b", 2), json!({"a": {"b": 2}}));
    }
}
