//! Every shape of serde's data model through `record.set` then `record.get`,
//! and the values the server must refuse (issue 9, items 2 and 7).

use std::future::Future;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SessionEnd, SingleLatest};
use heapless::{LinearMap, String as HString, Vec as HVec};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::common::records::Setpoint;
use crate::common::{duplex, fixture, session, Client, ManualClock};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitStruct;
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Newtype(u16);
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair(i8, bool);
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    name: HString<16>,
    count: u32,
    ratio: f32,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    Off,
    Level(u8),
    Pwm(u8, u8),
    Ramp { from: i16, to: i16 },
}

/// Raw bytes through `serialize_bytes` / `deserialize_bytes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bytes(HVec<u8, 8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                HVec::from_slice(v).map(Bytes).map_err(|_| E::custom("too many bytes"))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signed(i8, i16, i32, i64, i128);
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unsigned(u8, u16, u32, u64, u128);

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// A read-write server over records of every shape, each writable and
/// without a value.
fn shapes_server() -> &'static Server<'static, ManualClock> {
    let records: Vec<&'static dyn AnyRecord> = vec![
        leak(SingleLatest::<()>::new("unit", "()").writable()),
        leak(SingleLatest::<UnitStruct>::new("unit_struct", "UnitStruct").writable()),
        leak(SingleLatest::<Newtype>::new("newtype", "Newtype").writable()),
        leak(SingleLatest::<Pair>::new("tuple", "Pair").writable()),
        leak(SingleLatest::<Fields>::new("struct", "Fields").writable()),
        leak(SingleLatest::<Mode>::new("enum", "Mode").writable()),
        leak(SingleLatest::<Option<u8>>::new("option", "Option<u8>").writable()),
        leak(SingleLatest::<HVec<u16, 8>>::new("seq", "Vec<u16>").writable()),
        leak(SingleLatest::<LinearMap<HString<8>, i32, 4>>::new("map", "Map").writable()),
        leak(SingleLatest::<Bytes>::new("bytes", "Bytes").writable()),
        leak(SingleLatest::<char>::new("char", "char").writable()),
        leak(SingleLatest::<Signed>::new("signed", "Signed").writable()),
        leak(SingleLatest::<Unsigned>::new("unsigned", "Unsigned").writable()),
        leak(SingleLatest::<f32>::new("f32", "f32").writable()),
        leak(SingleLatest::<f64>::new("f64", "f64").writable()),
        leak(SingleLatest::<(f32, f64)>::new("floats", "(f32,f64)").writable().non_finite()),
        leak(SingleLatest::<HString<400>>::new("text", "String").writable()),
    ];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    leak(Server::new(registry, Config::new().read_write(), ManualClock::new()))
}

fn connect(server: &'static Server<'static, ManualClock>) -> (impl Future<Output = SessionEnd>, Client) {
    let (server_end, client_end) = duplex(64 * 1024);
    (server.serve(server_end), Client::new(client_end))
}

/// `record.set` echoes `want` and `record.get` returns it.
async fn round_trip(c: &mut Client, name: &str, value: Value, want: Value) {
    let set = c.call("record.set", json!({"name": name, "value": value})).await;
    assert_eq!(set["result"], json!({"status": "success", "value": want}), "set {name} {value}: {set}");
    let get = c.call("record.get", json!({"name": name})).await;
    assert_eq!(get["result"], want, "get {name}: {get}");
}

pub async fn every_serde_shape_round_trips() {
    let server = shapes_server();
    session(connect(server), async |c| {
        c.hello().await;
        let same = [
            ("unit", json!(null)),
            ("unit_struct", json!(null)),
            ("newtype", json!(65535)),
            ("tuple", json!([-128, true])),
            ("struct", json!({"name": "a\"b\nc", "count": 4294967295u32, "ratio": 0.1})),
            ("enum", json!("Off")),
            ("enum", json!({"Level": 3})),
            ("enum", json!({"Pwm": [1, 2]})),
            ("enum", json!({"Ramp": {"from": -5, "to": 5}})),
            ("option", json!(null)),
            ("option", json!(7)),
            ("seq", json!([])),
            ("seq", json!([1, 2, 65535])),
            ("map", json!({"a": -1, "b\u{e9}": 2147483647})),
            ("bytes", json!([0, 1, 255])),
            ("char", json!("x")),
            ("char", json!("\u{1F600}")),
            ("signed", json!([i8::MIN, i16::MIN, i32::MIN, i64::MIN, i64::MIN])),
            ("signed", json!([i8::MAX, i16::MAX, i32::MAX, i64::MAX, i64::MAX])),
            ("unsigned", json!([u8::MAX, u16::MAX, u32::MAX, u64::MAX, u64::MAX])),
            ("unsigned", json!([0, 0, 0, 0, 0])),
            ("f32", json!(21.7)),
            ("f64", json!(0.1)),
        ];
        for (name, value) in same {
            round_trip(c, name, value.clone(), value).await;
        }
        // 128-bit extremes are beyond serde_json's `Value`, and its default
        // float parser is not exact at the extremes: compare the text.
        for (name, text) in [
            ("f32", "-3.4028235e38"),
            ("f32", "1e-45"),
            ("f32", "1.1754944e-38"),
            ("f64", "1.7976931348623157e308"),
            ("f64", "5e-324"),
            ("signed", "[0,0,0,0,-170141183460469231731687303715884105728]"),
            ("signed", "[0,0,0,0,170141183460469231731687303715884105727]"),
            ("unsigned", "[0,0,0,0,340282366920938463463374607431768211455]"),
        ] {
            c.send(&format!(r#"{{"id":900,"method":"record.set","params":{{"name":"{name}","value":{text}}}}}"#)).await;
            let reply = c.line().await.unwrap();
            assert_eq!(reply, format!(r#"{{"id":900,"result":{{"status":"success","value":{text}}}}}"#));
        }
        // Equal numbers, other spellings.
        round_trip(c, "f32", json!(1e1), json!(10.0)).await;
        round_trip(c, "newtype", json!(1), json!(1)).await;
        round_trip(c, "char", json!("\\"), json!("\\")).await;
    })
    .await;
}

pub async fn non_finite_floats_only_where_the_record_allows_them() {
    let server = shapes_server();
    session(connect(server), async |c| {
        c.hello().await;
        c.ok("record.set", json!({"name": "f32", "value": 1.5})).await;
        for bad in ["1e39", "-1e39", "null", "1e400", "\"NaN\""] {
            c.send(&format!(r#"{{"id":5,"method":"record.set","params":{{"name":"f32","value":{bad}}}}}"#)).await;
            assert_eq!(c.reply(5).await["error"]["code"], "validation_error", "{bad}");
        }
        for bad in ["1e400", "null"] {
            c.send(&format!(r#"{{"id":6,"method":"record.set","params":{{"name":"f64","value":{bad}}}}}"#)).await;
            assert_eq!(c.reply(6).await["error"]["code"], "validation_error", "{bad}");
        }
        // Nothing was stored.
        assert_eq!(c.ok("record.get", json!({"name": "f32"})).await, json!(1.5));
        // A record that opts in stores NaN for null and infinities for
        // out-of-range numbers; they go out as null.
        c.send(r#"{"id":7,"method":"record.set","params":{"name":"floats","value":[null,1e400]}}"#).await;
        assert_eq!(c.reply(7).await["result"], json!({"status": "success", "value": [null, null]}));
        c.send(r#"{"id":8,"method":"record.set","params":{"name":"floats","value":[1e39,-2.5]}}"#).await;
        assert_eq!(c.reply(8).await["result"]["value"], json!([null, -2.5]));
    })
    .await;
}

pub async fn setpoint_out_of_range_is_a_validation_error() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        c.hello().await;
        c.ok("record.set", json!({"name": "actuator.setpoint", "value": {"target_celsius": 20.5}})).await;
        assert_eq!(fx.records.setpoint.take(), Some(Setpoint { target_celsius: 20.5 }));
        for bad in ["1e39", "1e400", "null", "-1e39"] {
            let line = format!(
                r#"{{"id":3,"method":"record.set","params":{{"name":"actuator.setpoint","value":{{"target_celsius":{bad}}}}}}}"#
            );
            c.send(&line).await;
            assert_eq!(c.reply(3).await["error"]["code"], "validation_error", "{bad}");
        }
        assert_eq!(fx.records.setpoint.take(), None, "nothing new was stored");
    })
    .await;
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

pub async fn long_escaped_strings_and_unknown_members_decode() {
    let server = shapes_server();
    session(connect(server), async |c| {
        c.hello().await;
        let text = "line\n".repeat(20);
        round_trip(c, "text", json!(text), json!(text)).await;
        // An unknown params member with a long escaped string is skipped.
        let long = "\"q\"".repeat(40);
        let reply =
            c.call("record.set", json!({"name": "text", "value": "ok", "comment": long, "x": {"y": [long]}})).await;
        assert_eq!(reply["result"]["value"], "ok", "{reply}");
        // Unknown struct members of any size are skipped too.
        let value = json!({"name": "n", "count": 1, "ratio": 0.5, "extra": {"deep": [long, 1, {"k": long}]}});
        let reply = c.call("record.set", json!({"name": "struct", "value": value})).await;
        assert_eq!(reply["result"]["value"], json!({"name": "n", "count": 1, "ratio": 0.5}), "{reply}");
    })
    .await;
}

pub async fn unknown_hello_members_of_any_size_are_skipped() {
    let fx = fixture();
    session(fx.connect(), async |c| {
        let long = "\\\"".repeat(200);
        c.send(&format!(r#"{{"hello":{{"version":"1.0","client":"x","note":"{long}","more":[{{"a":"{long}"}}]}}}}"#))
            .await;
        let welcome = c.json().await;
        assert_eq!(welcome["version"], "1.0", "{welcome}");
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

pub async fn token_oddities_are_auth_failures() {
    let fx: crate::common::Fixture =
        crate::common::Fixture::with_config(Config::new().read_write().token(aimx::Token::new("s3cret")));
    for hello in [
        format!(r#"{{"version":"1.0","auth_token":"{}"}}"#, "a".repeat(129)),
        format!(r#"{{"hello":{{"version":"1.0","auth_token":"{}"}}}}"#, "\\u0061".repeat(140)),
        r#"{"version":"1.0","auth_token":12345}"#.to_string(),
        r#"{"hello":{"version":"1.0","auth_token":{"t":"s3cret"}}}"#.to_string(),
    ] {
        session(fx.connect(), async |c| {
            c.send(&hello).await;
            let refusal = c.json().await;
            assert_eq!(refusal["error"]["code"], "auth_failed", "{hello}: {refusal}");
            assert!(c.closed().await);
        })
        .await;
    }
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
