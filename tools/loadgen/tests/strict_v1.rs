//! The load generator against a strict v1 server of the older kind: it takes
//! only the bare hello, only `record` in `record.get`, and its event
//! `sequence` counts deliveries (so a lost value leaves no trace there). The
//! defaults must work unchanged, and `--counter-field` must still see losses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Subscribers by session: a channel of event lines and a delivery count.
type Subs = Arc<Mutex<Vec<(mpsc::UnboundedSender<String>, String, u64)>>>;

/// Serves strict-v1 sessions; every 10th value written is silently not
/// delivered (the way a delivery-counting server hides a loss).
async fn strict_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let store = Arc::new(Mutex::new(HashMap::from([("config.log_level".to_owned(), json!("info"))])));
    let subs: Subs = Arc::default();
    let writes = Arc::new(Mutex::new(0u64));
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let (store, subs, writes) = (store.clone(), subs.clone(), writes.clone());
            tokio::spawn(async move {
                let (rx, mut tx) = sock.into_split();
                let mut lines = BufReader::new(rx).lines();
                let hello: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
                if hello.get("version").is_none() {
                    let refusal = r#"{"error":{"code":"protocol_error","message":"expected hello"}}"#;
                    let _ = tx.write_all(format!("{refusal}\n").as_bytes()).await;
                    return;
                }
                let (out, mut queue) = mpsc::unbounded_channel::<String>();
                out.send(r#"{"version":"1.0","server":"strict","permissions":["read","subscribe","write"]}"#.into())
                    .unwrap();
                tokio::spawn(async move {
                    while let Some(line) = queue.recv().await {
                        if tx.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
                while let Ok(Some(line)) = lines.next_line().await {
                    let req: Value = serde_json::from_str(&line).unwrap();
                    let (id, p) = (req["id"].clone(), &req["params"]);
                    let reply = match req["method"].as_str().unwrap() {
                        "record.get" => match p["record"].as_str() {
                            Some(name) => json!({"id": id, "result": store.lock().unwrap()[name]}),
                            None => json!({"id": id, "error": {"code": "invalid_params", "message": "missing record"}}),
                        },
                        "record.subscribe" => {
                            subs.lock().unwrap().push((out.clone(), p["name"].as_str().unwrap().into(), 0));
                            json!({"id": id, "result": {"subscription_id": "sub-1"}})
                        }
                        "record.unsubscribe" => {
                            subs.lock().unwrap().retain(|(o, _, _)| !o.same_channel(&out));
                            json!({"id": id, "result": {"subscription_id": "sub-1", "status": "cancelled"}})
                        }
                        "record.set" => {
                            let name = p["name"].as_str().unwrap().to_owned();
                            store.lock().unwrap().insert(name.clone(), p["value"].clone());
                            let mut n = writes.lock().unwrap();
                            *n += 1;
                            if *n % 10 != 0 {
                                for (o, record, delivered) in subs.lock().unwrap().iter_mut().filter(|s| s.1 == name) {
                                    *delivered += 1;
                                    let event = json!({"subscription_id": "sub-1", "sequence": *delivered,
                                        "data": p["value"], "timestamp": "1.000000000"});
                                    let _ = (o.send(json!({ "event": event }).to_string()), record);
                                }
                            }
                            json!({"id": id, "result": {"status": "success", "value": p["value"]}})
                        }
                        _ => json!({"id": id, "error": {"code": "method_not_found", "message": "?"}}),
                    };
                    out.send(reply.to_string()).unwrap();
                }
            });
        }
    });
    addr
}

/// Runs the loadgen; its exit status and the JSON rows it wrote.
fn loadgen(addr: &str, flags: &[&str]) -> (bool, Vec<Value>) {
    let dir = std::env::temp_dir().join(format!("aimx-loadgen-strict-{}-{}", std::process::id(), flags.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let results = dir.join("r.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimx-loadgen"))
        .args(["--tcp", addr, "--seconds", "0.5", "--count", "200", "--bursts", "1"])
        .args(["--results", results.to_str().unwrap()])
        .args(flags)
        .output()
        .unwrap();
    let rows = std::fs::read_to_string(&results).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    let rows = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    println!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_defaults_work_against_a_strict_v1_server() {
    let addr = strict_server().await;
    let (ok, rows) = tokio::task::spawn_blocking(move || loadgen(&addr, &["sequential", "pipelined"])).await.unwrap();
    assert!(ok, "{rows:?}");
    assert_eq!(rows.len(), 2, "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_older_flags_are_refused_by_it() {
    let addr = strict_server().await;
    let a = addr.clone();
    let (ok, _) =
        tokio::task::spawn_blocking(move || loadgen(&a, &["--hello", "wrapped", "sequential"])).await.unwrap();
    assert!(!ok, "a wrapped hello must fail against this server");
    let (ok, _) =
        tokio::task::spawn_blocking(move || loadgen(&addr, &["--get-param", "name", "sequential"])).await.unwrap();
    assert!(!ok, "`name` must fail against this server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_in_the_value_finds_losses_the_sequence_hides() {
    let addr = strict_server().await;
    let fanout = ["fanout", "--subscribers", "2", "--set-record", "config.log_level"];
    let a = addr.clone();
    let (_, by_seq) = tokio::task::spawn_blocking(move || loadgen(&a, &fanout)).await.unwrap();
    let counter = [&fanout[..], &["--counter-field", "n"]].concat();
    let (ok, by_counter) = tokio::task::spawn_blocking(move || loadgen(&addr, &counter)).await.unwrap();
    assert_eq!(by_seq[0]["silent_gaps"], 0, "the delivery count hides every loss: {by_seq:?}");
    let gaps = by_counter[0]["silent_gaps"].as_u64().unwrap();
    assert!(!ok && gaps > 0, "the counter shows them: {by_counter:?}");
}
