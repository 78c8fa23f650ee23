//! Every shape of serde's data model through `record.set` then `record.get`,
//! and the values the server must refuse (issue 9, items 2 and 7).

use std::future::Future;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd, SingleLatest};
use heapless::LinearMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::common::{duplex, session, Client, ManualClock};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    Off,
    Level(u8),
    Pwm(u8, u8),
    Ramp { from: i16, to: i16 },
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn connect(server: &'static Server<'static, ManualClock>) -> (impl Future<Output = SessionEnd>, Client) {
    let (server_end, client_end) = duplex(64 * 1024);
    (server.serve(server_end), Client::new(client_end))
}

pub async fn values_without_json_form_are_refused_not_panicked() {
    let int_keys: &'static SingleLatest<LinearMap<u8, u8, 2>> =
        leak(SingleLatest::new("int_keys", "Map<u8,u8>").writable());
    let chars: &'static SingleLatest<char> = leak(SingleLatest::with_value("c", "char", 'é'));
    let mode: &'static SingleLatest<Mode> = leak(SingleLatest::with_value("mode", "Mode", Mode::Pwm(1, 2)));
    let mut map = LinearMap::new();
    map.insert(1, 2).unwrap();
    int_keys.publish(map);
    let records: Vec<&'static dyn AnyRecord> = vec![int_keys, chars, mode];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    let server = leak(Server::new(registry, Config::new().read_write(), ManualClock::new()));
    session(connect(server), async |c| {
        c.hello().await;
        let reply = c.call("record.get", json!({"name": "int_keys"})).await;
        assert_eq!(reply["error"]["code"], "internal_error", "{reply}");
        assert!(reply["error"]["message"].as_str().unwrap().contains("keys must be strings"), "{reply}");
        // Once panicking shapes (char, tuple variant) now have a JSON form.
        assert_eq!(c.ok("record.get", json!({"name": "c"})).await, json!("é"));
        assert_eq!(c.ok("record.get", json!({"name": "mode"})).await, json!({"Pwm": [1, 2]}));
        // Still usable afterwards, locally too.
        mode.publish(Mode::Off);
        assert_eq!(c.ok("record.get", json!({"name": "mode"})).await, json!("Off"));
    })
    .await;
}
