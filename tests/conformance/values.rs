//! Every shape of serde's data model through `record.set` then `record.get`,
//! and the values the server must refuse (issue 9, items 2 and 7).

use std::future::Future;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd, SingleLatest};
use heapless::LinearMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::common::{duplex, fixture, session, Client, ManualClock};

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

pub async fn subscription_ids_are_parsed_strictly() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        let sub = c.ok("record.subscribe", json!({"name": "config.log_level"})).await;
        assert_eq!(sub["subscription_id"], "sub-1");
        for alias in ["sub-01", "sub-+1", "sub- 1", "sub-1 ", "SUB-1", "sub-", "sub-4294967297"] {
            assert_eq!(c.err("record.unsubscribe", json!({"subscription_id": alias})).await, "not_found", "{alias}");
        }
        let done = c.ok("record.unsubscribe", json!({"subscription_id": "sub-1"})).await;
        assert_eq!(done["status"], "cancelled");
    })
    .await;
}

pub async fn line_limit_is_on_content_not_crlf() {
    // LINE = 64: 63 bytes of content fit, with "\n" or with "\r\n".
    let fx: crate::common::Fixture<2, 64, 256> = crate::common::Fixture::with_config(Config::new().read_write());
    session(fx.connect(), async |c| {
        c.hello().await;
        let line = |id: u32| {
            let base = format!(r#"{{"id":{id},"method":"ping","params":{{"pad":""}}}}"#);
            base.replace(r#""pad":"""#, &format!(r#""pad":"{}""#, "x".repeat(63 - base.len())))
        };
        let exact = line(1);
        assert_eq!(exact.len(), 63);
        c.send_raw(format!("{exact}\r\n").as_bytes()).await;
        assert_eq!(c.json().await["id"], 1);
        c.send_raw(format!("{exact}\n").as_bytes()).await;
        assert_eq!(c.json().await["id"], 1);
        let over = format!("{exact} ");
        c.send_raw(format!("{over}\r\n").as_bytes()).await;
        assert_eq!(c.json().await["error"]["code"], "line_too_long");
        c.send_raw(format!("{}\r\n", line(2)).as_bytes()).await;
        assert_eq!(c.json().await["id"], 2);
    })
    .await;
}
