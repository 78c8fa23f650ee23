//! Decoding against `serde_json`'s encoding of the same values.

use std::collections::BTreeMap;
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::*;

fn ours<T: DeserializeOwned>(json: &str) -> Result<T, DeError> {
    let mut text = json.as_bytes().to_vec();
    crate::wire::scan::validate(&text).expect("test input is valid JSON");
    from_slice(&mut text, false)
}

/// `serde_json` writes `v`; we read back an equal value.
fn back<T: Serialize + DeserializeOwned + PartialEq + core::fmt::Debug>(v: T) {
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(ours::<T>(&json).unwrap(), v, "{json}");
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Newtype(i32);
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Tuple(u8, String, Option<bool>);
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Fields {
    a: u64,
    b: Vec<i16>,
    c: Option<char>,
    d: f32,
}
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Mode {
    Off,
    Level(u8),
    Pwm(u8, u8),
    Ramp { from: i16, to: i16 },
}

#[test]
fn every_shape_reads_back() {
    back(());
    back(Unit);
    back(Newtype(-7));
    back(Tuple(1, "a\"b\\\n\u{1}é\u{1F600}".into(), None));
    back(Fields { a: u64::MAX, b: vec![i16::MIN, 0, i16::MAX], c: Some('\u{1F600}'), d: 21.7 });
    back(vec![Mode::Off, Mode::Level(3), Mode::Pwm(1, 2), Mode::Ramp { from: -5, to: 5 }]);
    back((i8::MIN, i16::MIN, i32::MIN, i64::MIN, i128::MIN));
    back((u8::MAX, u16::MAX, u32::MAX, u64::MAX, u128::MAX));
    back((i128::MAX, 0u128, -0i64));
    back(Some(Some(3u8)));
    back(Option::<u8>::None);
    back(BTreeMap::from([(String::from("k\"ey"), vec![1u8]), (String::from(""), vec![])]));
    back((1.5f32, -0.0f32, f32::MAX, f32::MIN_POSITIVE, 1e-45f32, 0.1f64, f64::MAX, 5e-324f64));
    back(['x', '"', '\u{7f}']);
    back(true);
}

#[test]
fn strings_unescape_in_place_at_any_length() {
    let long = "line\n".repeat(200);
    assert_eq!(ours::<String>(&serde_json::to_string(&long).unwrap()).unwrap(), long);
    assert_eq!(ours::<String>(r#""\ud83d\ude00 \u00e9\/""#).unwrap(), "\u{1F600} é/");
    assert!(ours::<String>(r#""\ud83d""#).is_err());
    let s: heapless::String<8> = ours(r#""\u0041\u0042""#).unwrap();
    assert_eq!(s, "AB");
    assert!(ours::<heapless::String<2>>(r#""abc""#).is_err());
}

#[test]
fn bytes_read_from_arrays_and_strings() {
    #[derive(Debug, PartialEq)]
    struct Bytes(Vec<u8>);
    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
            }
            d.deserialize_bytes(V)
        }
    }
    assert_eq!(ours::<Bytes>("[0, 1 ,255]").unwrap(), Bytes(vec![0, 1, 255]));
    assert_eq!(ours::<Bytes>("[ ]").unwrap(), Bytes(vec![]));
    assert_eq!(ours::<Bytes>(r#""ab""#).unwrap(), Bytes(b"ab".to_vec()));
    for bad in ["[256]", "[-1]", "[1.5]", "[\"a\"]", "[[1]]"] {
        assert!(ours::<Bytes>(bad).is_err(), "{bad}");
    }
}

#[test]
fn unknown_members_of_any_size_are_skipped() {
    let big = format!(
        r#"{{"x":{{"y":["{}",[[{{}}]],1e5,null]}},"a":1,"b":[],"c":null,"d":2.5,"z":"{}"}}"#,
        "\\\"".repeat(300),
        "q".repeat(500)
    );
    let f: Fields = ours(&big).unwrap();
    assert_eq!(f, Fields { a: 1, b: vec![], c: None, d: 2.5 });
}

#[test]
fn wrong_shapes_and_ranges_are_errors() {
    assert!(ours::<u8>("256").is_err());
    assert!(ours::<u8>("-1").is_err());
    assert!(ours::<u8>("1.0").is_err());
    assert!(ours::<i8>("-129").is_err());
    assert!(ours::<u128>("340282366920938463463374607431768211456").is_err());
    assert!(ours::<i128>("-170141183460469231731687303715884105729").is_err());
    assert!(ours::<char>(r#""ab""#).is_err());
    assert!(ours::<(u8, u8)>("[1]").is_err());
    assert!(ours::<(u8, u8)>("[1,2,3]").is_err());
    assert!(ours::<Mode>(r#""Nope""#).is_err());
    assert!(ours::<Mode>(r#"{"Pwm":[1,2],"Off":null}"#).is_err());
    assert!(ours::<Fields>(r#"{"a":1}"#).is_err());
    assert!(ours::<bool>("null").is_err());
    assert!(ours::<()>("0").is_err());
}

#[test]
fn integers_beyond_64_bits_only_for_128_bit_types() {
    // What serde's default `visit_u128`/`visit_i128` answered before the
    // number stopped being formatted: the same error, for every narrow type.
    let wrong_type = Some(DeError("value has the wrong JSON type for the record"));
    assert_eq!(ours::<u64>("18446744073709551616").err(), wrong_type);
    assert_eq!(ours::<u8>("18446744073709551616").err(), wrong_type);
    assert_eq!(ours::<i64>("-9223372036854775809").err(), wrong_type);
    assert_eq!(ours::<i32>("-9223372036854775809").err(), wrong_type);
    assert_eq!(ours::<u128>("18446744073709551616"), Ok(1u128 << 64));
    assert_eq!(ours::<i128>("-9223372036854775809"), Ok(i64::MIN as i128 - 1));
    // `deserialize_any` stays wide, for visitors that take 128 bits.
    assert_eq!(ours::<Any128>("18446744073709551616"), Ok(Any128(1u128 << 64)));
}

/// Takes any integer through `deserialize_any`, up to `u128`.
#[derive(Debug, PartialEq)]
struct Any128(u128);

impl<'de> Deserialize<'de> for Any128 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Any128;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Any128, E> {
                Ok(Any128(v.into()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Any128, E> {
                Ok(Any128(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[test]
fn non_finite_floats_only_when_allowed() {
    for bad in ["1e39", "-1e39", "null", "3.5e38"] {
        assert!(ours::<f32>(bad).is_err(), "{bad}");
    }
    for bad in ["1e400", "null"] {
        assert!(ours::<f64>(bad).is_err(), "{bad}");
    }
    let allowed = |json: &str| -> (f32, f64) {
        let mut text = json.as_bytes().to_vec();
        from_slice(&mut text, true).unwrap()
    };
    let (a, b) = allowed("[null, 1e400]");
    assert!(a.is_nan() && b == f64::INFINITY);
    let (a, b) = allowed("[-1e39, null]");
    assert!(a == f32::NEG_INFINITY && b.is_nan());
    assert_eq!(ours::<Option<f32>>("null").unwrap(), None);
}

#[test]
fn trailing_text_is_an_error() {
    let mut text = b"1 2".to_vec();
    assert!(from_slice::<u8>(&mut text, false).is_err());
    assert_eq!(ours::<u8>(" 7 ").unwrap(), 7);
}
