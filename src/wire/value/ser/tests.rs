//! Every serde shape against `serde_json`'s output (the reference), and the
//! refusals.

use std::collections::BTreeMap;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::*;

fn ours<T: Serialize + ?Sized>(v: &T) -> Result<String, SerError> {
    let mut buf = [0u8; 512];
    let mut out = JsonOut::new(&mut buf);
    to_json(&mut out, v)?;
    Ok(String::from_utf8(out.as_bytes().to_vec()).unwrap())
}

/// Same text as `serde_json`, and valid JSON.
fn same<T: Serialize + ?Sized>(v: &T) {
    let want = serde_json::to_string(v).unwrap();
    assert_eq!(ours(v).unwrap(), want);
}

#[derive(Serialize)]
struct Unit;
#[derive(Serialize)]
struct Newtype(u8);
#[derive(Serialize)]
struct Tuple(u8, i8, bool);
#[derive(Serialize)]
struct Fields {
    a: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<u8>,
    c: &'static str,
}
#[derive(Serialize)]
enum Mode {
    Off,
    Level(u8),
    Pwm(u8, u8),
    Ramp { from: i16, to: i16 },
}

#[test]
fn every_shape_matches_serde_json() {
    same(&true);
    same(&(i8::MIN, i16::MIN, i32::MIN, i64::MIN, i128::MIN));
    same(&(u8::MAX, u16::MAX, u32::MAX, u64::MAX, u128::MAX));
    same(&(i64::MAX, i128::MAX, 0u128, 0i128));
    same(&'x');
    same(&'"');
    same(&'é');
    same("a\"b\\c\n\u{1}");
    same(&());
    same(&Unit);
    same(&Newtype(7));
    same(&Tuple(1, -1, false));
    same(&Fields { a: 1, b: None, c: "x" });
    same(&Fields { a: 1, b: Some(2), c: "" });
    same(&[Mode::Off, Mode::Level(3), Mode::Pwm(1, 2), Mode::Ramp { from: -5, to: 5 }]);
    same(&Some(Some(3)));
    same(&Option::<u8>::None);
    same(&Vec::<u8>::new());
    same(&[[1, 2], [3, 4]]);
    let map: BTreeMap<&str, Vec<u8>> = [("a", std::vec![1]), ("b\"", std::vec![])].into_iter().collect();
    same(&map);
    let chars: BTreeMap<char, u8> = [('k', 1)].into_iter().collect();
    same(&chars);
    same(&(1.5f32, -0.25f64, 21.7f32));
    // Exponents are spelled `1e20`, not `1e+20`: the same numbers (the f32
    // is written shortest, so JSON readers see 1e-20).
    let v: serde_json::Value = serde_json::from_str(&ours(&(1e20f64, 1e-20f32)).unwrap()).unwrap();
    assert_eq!(v, serde_json::json!([1e20f64, 1e-20f64]));
}

#[test]
fn pwm_tuple_variant_is_externally_tagged() {
    assert_eq!(ours(&Mode::Pwm(1, 2)).unwrap(), r#"{"Pwm":[1,2]}"#);
}

#[test]
fn bytes_are_an_array_of_numbers() {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    assert_eq!(ours(&Bytes(&[0, 1, 255])).unwrap(), "[0,1,255]");
    assert_eq!(ours(&Bytes(&[])).unwrap(), "[]");
}

#[test]
fn non_finite_floats_are_null() {
    for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        assert_eq!(ours(&v).unwrap(), "null");
        assert_eq!(ours(&(v as f64)).unwrap(), "null");
    }
    assert_eq!(ours(&f64::MAX).unwrap(), std::format!("{:?}", f64::MAX));
    assert_eq!(ours(&5e-324f64).unwrap(), "5e-324");
}

#[test]
fn non_string_map_keys_are_refused() {
    let map: BTreeMap<u8, u8> = [(1, 2)].into_iter().collect();
    assert_eq!(ours(&map), Err(SerError::Refused("map keys must be strings in JSON")));
    let map: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
    assert!(matches!(ours(&map), Err(SerError::Refused(_))));
}

#[test]
fn a_full_buffer_is_full_and_json_out_rolls_back() {
    let mut buf = [0u8; 8];
    let mut out = JsonOut::new(&mut buf);
    out.raw(b"[").unwrap();
    assert_eq!(out.value(&[1000u32, 2000, 3000]), Err(Full));
    assert_eq!((out.as_bytes(), out.refused()), (&b"["[..], None));
    let map: BTreeMap<u8, u8> = [(1, 2)].into_iter().collect();
    assert_eq!(out.value(&map), Err(Full));
    assert_eq!((out.as_bytes(), out.refused()), (&b"["[..], Some("map keys must be strings in JSON")));
}
