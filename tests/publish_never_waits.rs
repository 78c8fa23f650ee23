//! Issue 9, item 1: `publish()` never waits for a session that is turning a
//! value of the same record into JSON.
//!
//! The value's `Serialize` parks until the test has published again (or
//! gives up after a few seconds). If the record's lock were held while
//! serializing, that publish could not complete before the serializer gave
//! up, and the ordering checked below would be reversed.

mod common;

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SingleLatest, SpmcRing};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::json;

use common::{duplex, Client, ManualClock};

#[derive(Default)]
struct Gate {
    serializing: bool,
    published: bool,
    /// Whether a serializer saw the publish complete while it was running.
    overlapped: bool,
}

struct Shared {
    state: Mutex<Gate>,
    cv: Condvar,
}

static GATE: Shared =
    Shared { state: Mutex::new(Gate { serializing: false, published: false, overlapped: false }), cv: Condvar::new() };

/// A value whose serialization takes as long as the test wants.
#[derive(Clone, Deserialize)]
struct Slow(u32);

impl Serialize for Slow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 == 1 {
            let mut g = GATE.state.lock().unwrap();
            g.serializing = true;
            GATE.cv.notify_all();
            let (mut g, _) = GATE.cv.wait_timeout_while(g, Duration::from_secs(3), |g| !g.published).unwrap();
            g.overlapped = g.published;
        }
        serializer.serialize_u32(self.0)
    }
}

fn wait_for(check: impl Fn(&Gate) -> bool) {
    let g = GATE.state.lock().unwrap();
    let _unused = GATE.cv.wait_timeout_while(g, Duration::from_secs(10), |g| !check(g)).unwrap();
}

fn publish_while_serializing(record: &'static (dyn Fn(u32) + Sync), start: impl FnOnce() + Send + 'static) {
    *GATE.state.lock().unwrap() = Gate::default();
    let session = std::thread::spawn(start);
    wait_for(|g| g.serializing);
    let began = Instant::now();
    record(2);
    let took = began.elapsed();
    {
        let mut g = GATE.state.lock().unwrap();
        g.published = true;
        GATE.cv.notify_all();
    }
    session.join().unwrap();
    println!("publish() took {took:?} while a value was being serialized");
    assert!(GATE.state.lock().unwrap().overlapped, "publish() waited for the serializer to finish");
}

static LATEST: SingleLatest<Slow> = SingleLatest::with_value("slow.latest", "Slow", Slow(1));
static RING: SpmcRing<Slow, 4> = SpmcRing::new("slow.ring", "Slow");
static RECORDS: [&dyn AnyRecord; 2] = [&LATEST, &RING];

fn server() -> &'static Server<'static, ManualClock> {
    Box::leak(Box::new(Server::new(Registry::new(&RECORDS), Config::new(), ManualClock::new())))
}

/// `record.get` and subscription events run in one test, one after the other,
/// because they share the gate.
#[test]
fn publish_does_not_wait_for_a_session_serializing_the_same_record() {
    // record.get of the latest value.
    publish_while_serializing(&|v| LATEST.publish(Slow(v)), || {
        let server = server();
        let (server_end, client_end) = duplex(4096);
        let client = async {
            let mut c = Client::new(client_end);
            c.hello().await;
            assert_eq!(c.ok("record.get", json!({"name": "slow.latest"})).await, json!(1));
        };
        futures_lite::future::block_on(futures_lite::future::or(
            async {
                server.serve(server_end).await;
            },
            client,
        ));
    });

    // An event of a subscription to a ring.
    RING.publish(Slow(1));
    publish_while_serializing(&|v| RING.publish(Slow(v)), || {
        let server = server();
        let (server_end, client_end) = duplex(4096);
        let client = async {
            let mut c = Client::new(client_end);
            c.hello().await;
            c.ok("record.subscribe", json!({"name": "slow.ring"})).await;
            assert_eq!(c.next_event().await["data"], json!(1));
            assert_eq!(c.next_event().await["data"], json!(2));
        };
        futures_lite::future::block_on(futures_lite::future::or(
            async {
                server.serve(server_end).await;
            },
            client,
        ));
    });
}
