//! Executor-free tests of the ring arithmetic, and a model-based property
//! test: the model keeps every value ever published and answers each
//! question by searching it, where the ring computes the answer.

use std::string::ToString;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;

const N: usize = 4;

fn ring() -> SpmcRing<u32, N> {
    SpmcRing::new("test.ring", "u32")
}

/// The JSON `write_next` produces for a cursor, or what it reported.
fn next_json(record: &dyn AnyRecord, after: u64, window: u64) -> (Next, std::string::String) {
    let mut buf = [0u8; 64];
    let mut out = JsonOut::new(&mut buf);
    let next = record.write_next(after, window, &mut out, &mut |_, _| Ok(()));
    (next, core::str::from_utf8(out.as_bytes()).unwrap().to_string())
}

#[test]
fn empty_ring_has_nothing_to_read() {
    let r = ring();
    r.state.with_lock(|s| {
        assert_eq!(s.head, 0);
        assert!(s.newest().is_none());
        assert_eq!(s.next_after(0, N as u64), None);
        assert_eq!(s.oldest(N as u64), 1);
    });
    assert_eq!(next_json(&r, 0, 4).0, Next::Empty);
}

#[test]
fn a_wrapped_ring_keeps_the_last_n_and_windows_clamp() {
    let r = ring();
    for v in 1..=10 {
        r.publish_at(v * 100, Timestamp::from_nanos(v.into()));
    }
    r.state.with_lock(|s| {
        assert_eq!(s.head, 10);
        assert_eq!(s.oldest(N as u64), 7);
        // A window of 0 still keeps the newest; one over N is N.
        assert_eq!(s.oldest(0), 10);
        assert_eq!(s.oldest(99), 7);
        assert_eq!(s.oldest(2), 9);
        assert_eq!(s.next_after(0, 4), Some(7));
        assert_eq!(s.next_after(8, 4), Some(9));
        assert_eq!(s.next_after(8, 1), Some(10));
        assert_eq!(s.next_after(10, 4), None);
        assert_eq!(s.get(7).map(|(v, t)| (*v, t.as_nanos())), Some((700, 7)));
    });
    assert_eq!(next_json(&r, 3, 4), (Next::Wrote { seq: 7, timestamp: Timestamp::from_nanos(7) }, "700".into()));
}

#[test]
fn a_value_that_does_not_fit_is_reported_and_leaves_no_bytes() {
    let r = ring();
    r.publish_at(1_000_000, Timestamp::from_nanos(5));
    let mut buf = [0u8; 4];
    let mut out = JsonOut::new(&mut buf);
    out.raw(b"ab").unwrap();
    let next = r.write_next(0, 4, &mut out, &mut |o, _| o.raw(b"x"));
    assert_eq!(next, Next::Full { seq: 1, timestamp: Timestamp::from_nanos(5) });
    assert_eq!(out.as_bytes(), b"ab");
}

#[derive(Debug, Clone)]
enum Op {
    Publish(u32),
    /// A remote-style cursor reads through `write_next` with a window.
    Read {
        cursor: usize,
        window: u64,
    },
    /// The local subscriber reads.
    Recv,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u32>().prop_map(Op::Publish),
        2 => (0..3usize, 0..7u64).prop_map(|(cursor, window)| Op::Read { cursor, window }),
        1 => Just(Op::Recv),
    ]
}

/// The model's answer: the first value newer than `seen` among the newest
/// `min(max(window, 1), N)` values published.
fn model_next(published: &[u32], seen: u64, window: u64) -> Option<u64> {
    let kept = window.clamp(1, N as u64) as usize;
    let first_kept = published.len().saturating_sub(kept) as u64 + 1;
    (first_kept..=published.len() as u64).find(|&seq| seq > seen)
}

proptest! {
    #[test]
    fn ring_matches_a_model_that_keeps_everything(ops in proptest::collection::vec(op(), 0..120)) {
        let r = ring();
        let mut local = r.subscribe();
        let mut local_seen = 0u64;
        let mut published: Vec<u32> = Vec::new();
        let mut cursors = [0u64; 3];
        for op in ops {
            match op {
                Op::Publish(v) => {
                    r.publish_at(v, Timestamp::from_nanos(published.len() as u64 + 1));
                    published.push(v);
                    let head = published.len() as u64;
                    r.state.with_lock(|s| {
                        assert_eq!(s.head, head);
                        assert_eq!(s.newest().map(|(v, _)| *v), published.last().copied());
                        assert_eq!(s.oldest(N as u64), head.saturating_sub(N as u64) + 1);
                    });
                }
                Op::Read { cursor, window } => {
                    let seen = cursors[cursor];
                    let expected = model_next(&published, seen, window);
                    prop_assert_eq!(r.state.with_lock(|s| s.next_after(seen, window)), expected);
                    let (next, json) = next_json(&r, seen, window);
                    match expected {
                        None => prop_assert_eq!(next, Next::Empty),
                        Some(seq) => {
                            let ts = Timestamp::from_nanos(seq);
                            prop_assert_eq!(next, Next::Wrote { seq, timestamp: ts });
                            prop_assert_eq!(json, published[seq as usize - 1].to_string());
                            cursors[cursor] = seq;
                        }
                    }
                }
                Op::Recv => {
                    let got = local.try_recv();
                    match model_next(&published, local_seen, N as u64) {
                        None => prop_assert!(got.is_none()),
                        Some(seq) => {
                            let got = got.expect("a value is kept");
                            prop_assert_eq!(got.value, published[seq as usize - 1]);
                            prop_assert_eq!(got.sequence, seq);
                            // `dropped`: the values published in between.
                            prop_assert_eq!(got.dropped, seq - local_seen - 1);
                            local_seen = seq;
                        }
                    }
                }
            }
        }
        prop_assert_eq!(r.info().consumers, 1);
        drop(local);
        prop_assert_eq!(r.info().consumers, 0);
    }
}

/// Serializable only: a record type that has no `Deserialize` at all.
#[derive(Clone, serde::Serialize)]
struct Reading {
    celsius: f32,
}

#[test]
fn a_read_only_record_needs_no_deserializer_and_refuses_set() {
    static READING: SingleLatest<Reading> = SingleLatest::new("sensor.reading", "Reading").source();
    READING.publish(Reading { celsius: 21.5 });
    let record: &dyn AnyRecord = &READING;
    let mut buf = [0u8; 32];
    let mut out = JsonOut::new(&mut buf);
    assert_eq!(record.write_newest(&mut out), Ok(true));
    assert_eq!(out.as_bytes(), br#"{"celsius":21.5}"#);
    // The trait's method, on the record itself, writes the same.
    let mut again = [0u8; 32];
    let mut out = JsonOut::new(&mut again);
    assert_eq!(READING.write_latest(&mut out), Ok(true));
    assert_eq!(out.as_bytes(), br#"{"celsius":21.5}"#);
    assert!(!record.meta().writable);
    let mut json = *br#"{"celsius":1.0}"#;
    assert_eq!(record.set_json(&mut json), Err(SetError("record is not writable")));
    assert_eq!(READING.latest().map(|r| r.celsius), Some(21.5));
}

#[test]
fn a_writable_record_decodes_and_validates_what_is_set() {
    let record = SingleLatest::<u8>::new("config.level", "u8").writable().validator(|v| match v {
        0..=3 => Ok(()),
        _ => Err("level is 0 to 3"),
    });
    assert!(record.meta().writable);
    assert_eq!(record.set_json(&mut b"2".to_vec()), Ok(()));
    assert_eq!(record.set_json(&mut b"7".to_vec()), Err(SetError("level is 0 to 3")));
    assert_eq!(record.set_json(&mut b"\"x\"".to_vec()), Err(SetError("expected a number")));
    assert_eq!(record.latest(), Some(2));
}

/// What `write_latest` writes, or `None` when the record has no value.
fn latest_json(record: &dyn AnyRecord) -> Option<std::string::String> {
    let mut buf = [0u8; 256];
    let mut out = JsonOut::new(&mut buf);
    let wrote = record.write_newest(&mut out).unwrap();
    wrote.then(|| core::str::from_utf8(out.as_bytes()).unwrap().to_string())
}

#[test]
fn kept_json_is_written_only_for_its_own_value() {
    let r: SpmcRing<f32, N> = SpmcRing::new("test.f32", "f32");
    r.publish(21.5);
    r.publish(0.1);
    // The first session to write value 2 serializes it; the next ones get
    // the same text, and value 1 is still its own.
    assert_eq!(
        next_json(&r, 1, 4),
        (Next::Wrote { seq: 2, timestamp: r.state.with_lock(|s| s.stamps[1]) }, "0.1".into())
    );
    assert_eq!(next_json(&r, 1, 4).1, "0.1");
    assert_eq!(next_json(&r, 0, 4).1, "21.5");
    assert_eq!(latest_json(&r).as_deref(), Some("0.1"));
    #[cfg(target_pointer_width = "64")]
    r.state.with_lock(|s| {
        // Each value's text in its own slot.
        assert_eq!(s.json.get(2).map(|j| j.as_bytes().to_vec()), Some(b"0.1".to_vec()));
        assert_eq!(s.json.get(1).map(|j| j.as_bytes().to_vec()), Some(b"21.5".to_vec()));
        assert!(s.json.get(3).is_none());
    });
    r.publish(-3.25);
    assert_eq!(latest_json(&r).as_deref(), Some("-3.25"));
    assert_eq!(next_json(&r, 2, 4).1, "-3.25");
    assert_eq!(next_json(&r, 1, 4).1, "0.1");
    // A value `SLOTS` later takes value 1's slot; value 1 (still in a
    // wider ring) is then written from the value again.
    let r: SpmcRing<f32, 16> = SpmcRing::new("test.wide", "f32");
    for i in 0..=8u8 {
        r.publish(f32::from(i) + 0.5);
    }
    assert_eq!(next_json(&r, 0, 16).1, "0.5");
    assert_eq!(next_json(&r, 8, 16).1, "8.5");
    assert_eq!(next_json(&r, 0, 16).1, "0.5");
    #[cfg(target_pointer_width = "64")]
    r.state.with_lock(|s| assert_eq!(s.json.get(1).map(|j| j.as_bytes().to_vec()), None));
}

#[test]
fn a_value_too_long_to_keep_is_written_from_the_value_each_time() {
    let r: SingleLatest<[u32; 5]> = SingleLatest::with_value("test.long", "u32x5", [4_000_000_000; 5]);
    let text = "[".to_string() + &["4000000000"; 5].join(",") + "]";
    assert!(text.len() > 48);
    for _ in 0..2 {
        assert_eq!(latest_json(&r).as_deref(), Some(text.as_str()));
        assert_eq!(next_json(&r, 0, 1).1, text);
    }
    r.state.with_lock(|s| assert!(s.json.get(1).is_none()));
}

/// What `write_next_stamped` writes, and what it reported.
#[cfg(target_pointer_width = "64")]
fn stamped_json(record: &dyn AnyRecord, after: u64, room: usize) -> (Next, std::string::String) {
    let mut buf = [0u8; 128];
    let mut out = JsonOut::new(&mut buf[..room]);
    let next = record.write_next_stamped(after, 4, &mut out, &mut |o, _| o.raw(b"<"));
    (next, core::str::from_utf8(out.as_bytes()).unwrap().to_string())
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_kept_timestamp_member_is_the_one_formatted() {
    let r: SpmcRing<f32, N> = SpmcRing::new("test.stamped", "f32");
    let t = Timestamp::from_nanos(1_764_332_412_000_012_345);
    r.publish_at(0.1, t);
    r.publish_at(0.2, Timestamp::ZERO);
    let member = std::format!(",\"timestamp\":\"{t}\"");
    let want = std::format!("<0.1{member}");
    let wrote = Next::Wrote { seq: 1, timestamp: t };
    // Written by the first subscriber (and kept), then from what was kept:
    // the same text, and the same as formatting it where it is sent.
    assert_eq!(stamped_json(&r, 0, 128), (wrote, want.clone()));
    r.state.with_lock(|s| assert_eq!(s.json.stamp(1).map(|m| m.as_bytes().to_vec()), Some(member.clone().into())));
    assert_eq!(stamped_json(&r, 0, 128), (wrote, want.clone()));
    let mut buf = [0u8; 128];
    let mut out = JsonOut::new(&mut buf);
    out.raw(b"<0.1").unwrap();
    crate::wire::reply::stamp_member(&mut out, t).unwrap();
    assert_eq!(out.as_bytes(), want.as_bytes());
    // `write_next` stays the value alone.
    assert_eq!(next_json(&r, 0, 4).1, "0.1");
    // One byte short, kept or not: nothing written, reported full.
    let short = stamped_json(&r, 0, want.len() - 1);
    assert_eq!(short, (Next::Full { seq: 1, timestamp: t }, "".into()));
    let r2: SpmcRing<f32, N> = SpmcRing::new("test.unkept", "f32");
    r2.publish_at(0.1, t);
    assert_eq!(stamped_json(&r2, 0, want.len() - 1), (Next::Full { seq: 1, timestamp: t }, "".into()));
    // A value stamped zero gets no member: the server writes its own
    // `created_at` there.
    assert_eq!(stamped_json(&r, 1, 128), (Next::Wrote { seq: 2, timestamp: Timestamp::ZERO }, "<0.2".into()));
    // A newer value in the slot: the older one's member is not its.
    for v in 0..8 {
        r.publish_at(v as f32, t);
    }
    assert_eq!(next_json(&r, 8, 4).1, "6.0");
    r.state.with_lock(|s| assert!(s.json.get(9).is_some() && s.json.stamp(9).is_none()));
    assert_eq!(stamped_json(&r, 8, 128).1, std::format!("<6.0{member}"));
    r.state.with_lock(|s| assert!(s.json.stamp(1).is_none() && s.json.stamp(9).is_some()));
}
