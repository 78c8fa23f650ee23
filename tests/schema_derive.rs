//! `#[derive(Describe)]` for every shape serde's data model has, checked
//! against what serde_json actually writes for values of the same types:
//! the names and shapes a host tool reads from `record.schema` must be the
//! ones it then sees on the wire.

use aimx::schema::{self, Describe, Schema};
use aimx::wire::JsonOut;
use serde::Serialize;
use serde_json::{json, Value};

fn schema_json(s: &Schema) -> Value {
    let mut buf = [0u8; 4096];
    let mut o = JsonOut::new(&mut buf);
    schema::write(&mut o, s).unwrap();
    serde_json::from_slice(o.as_bytes()).unwrap()
}

#[derive(Serialize, Describe)]
struct Unit;

#[derive(Serialize, Describe)]
struct Newtype(u16);

#[derive(Serialize, Describe)]
struct Pair(i8, bool);

#[derive(Serialize, Describe)]
#[serde(rename_all = "camelCase")]
struct Config {
    /// How often, in
    /// milliseconds.
    #[aimx(unit = "ms", min = 10, max = 60_000)]
    period_ms: u32,
    #[serde(rename = "label")]
    name: heapless::String<16>,
    #[serde(skip)]
    #[allow(dead_code)]
    internal: u8,
    offsets: [f32; 3],
    history: heapless::Vec<i64, 8>,
    limit: Option<u64>,
    #[aimx(min = -0.5, max = 2.)]
    gain: f64,
    tag: char,
    nested: Newtype,
    both: (u8, i128),
}

#[derive(Serialize, Describe)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Off,
    Pwm(u8, u8),
    Level(u16),
    #[serde(rename_all = "UPPERCASE")]
    Ramp {
        from_pct: u8,
        to_pct: u8,
    },
    #[serde(rename = "boost!")]
    BoostNow,
}

#[derive(Serialize, Describe)]
struct Wrapper<T> {
    inner: T,
}

#[test]
fn struct_fields_follow_serde_names_and_carry_what_the_author_said() {
    let s = schema_json(Config::SCHEMA);
    assert_eq!((s["type"].clone(), s["name"].clone()), (json!("struct"), json!("Config")));
    let fields = s["fields"].as_array().unwrap();
    let mut names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let value = Config {
        period_ms: 100,
        name: "x".try_into().unwrap(),
        internal: 0,
        offsets: [0.0; 3],
        history: heapless::Vec::new(),
        limit: None,
        gain: 1.0,
        tag: 'a',
        nested: Newtype(1),
        both: (1, 2),
    };
    let wire = serde_json::to_value(&value).unwrap();
    let wire_names: Vec<&str> = wire.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, wire_names, "the described members are the ones serde writes (serde_json sorts them)");
    assert_eq!(
        fields[0],
        json!({"name": "periodMs", "type": {"type": "int", "name": "u32", "bits": 32, "signed": false},
               "doc": "How often, in milliseconds.", "unit": "ms", "min": 10, "max": 60000})
    );
    assert_eq!(fields[1]["type"], json!({"type": "string", "name": "String", "max_len": 16}));
    assert_eq!(fields[2]["type"]["type"], "array");
    assert_eq!((fields[2]["type"]["len"].clone(), fields[2]["type"]["items"]["bits"].clone()), (json!(3), json!(32)));
    assert_eq!(fields[3]["type"]["max_len"], 8);
    assert_eq!(fields[3]["type"]["items"], json!({"type": "int", "name": "i64", "bits": 64, "signed": true}));
    assert_eq!(fields[4]["type"]["type"], "option");
    assert_eq!((fields[5]["min"].clone(), fields[5]["max"].clone()), (json!(-0.5), json!(2.0)));
    assert_eq!(fields[6]["type"]["type"], "char");
    assert_eq!(
        fields[7]["type"],
        json!({"type": "newtype", "name": "Newtype", "inner": {"type": "int", "name": "u16", "bits": 16, "signed": false}})
    );
    assert_eq!(fields[8]["type"]["items"][1]["bits"], 128);
}

#[test]
fn enum_variants_in_every_form_match_serde() {
    let s = schema_json(Mode::SCHEMA);
    let variants = s["variants"].as_array().unwrap();
    let values = [Mode::Off, Mode::Pwm(1, 2), Mode::Level(3), Mode::Ramp { from_pct: 1, to_pct: 2 }, Mode::BoostNow];
    assert_eq!(variants.len(), values.len());
    for (v, value) in variants.iter().zip(&values) {
        let wire = serde_json::to_value(value).unwrap();
        // A unit variant is its name as a string; the others are {name: payload}.
        let wire_name = match &wire {
            Value::String(s) => s.clone(),
            Value::Object(m) => m.keys().next().unwrap().clone(),
            other => panic!("{other}"),
        };
        assert_eq!(v["name"], wire_name.as_str(), "{v}");
        match &wire {
            Value::String(_) => {
                assert!(v.get("inner").is_none() && v.get("items").is_none() && v.get("fields").is_none())
            }
            Value::Object(m) => match m.values().next().unwrap() {
                Value::Array(a) => assert_eq!(v["items"].as_array().unwrap().len(), a.len()),
                Value::Object(o) => {
                    let mut names: Vec<&str> =
                        v["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
                    names.sort();
                    assert_eq!(names, o.keys().map(String::as_str).collect::<Vec<_>>());
                }
                _ => assert_eq!(v["inner"]["bits"], 16),
            },
            _ => unreachable!(),
        }
    }
}

#[test]
fn unit_tuple_newtype_and_generic_types() {
    assert_eq!(schema_json(Unit::SCHEMA), json!({"type": "unit", "name": "Unit"}));
    assert_eq!(schema_json(Pair::SCHEMA)["items"].as_array().unwrap().len(), 2);
    assert_eq!(serde_json::to_value(Pair(1, true)).unwrap(), json!([1, true]));
    let w = schema_json(<Wrapper<Option<u8>>>::SCHEMA);
    assert_eq!(w["fields"][0]["type"]["inner"]["bits"], 8);
}
