//! The top-level members of a line, read by a walk after validation (an
//! MCU's way: [`super::found`] finds them during validation, faster on a
//! host but ~2 KB more code). The walk's keys are unescaped in place; the
//! last of a repeated member counts, as there.

use super::{scan_error, Kept, ParseError, Top, INVALID_JSON, NOT_AN_OBJECT, TOP_KEYS};
use crate::wire::scan;
use crate::wire::value::de::Deserializer;

/// Validates `line` and reads its top-level members.
pub(super) fn top(line: &mut [u8]) -> Result<Top<'_>, ParseError> {
    if let Err(e) = scan::validate(line) {
        return Err(scan_error(line, e));
    }
    let mut de = Deserializer::new(line, false);
    if de.peek() != Some(b'{') {
        return Err(NOT_AN_OBJECT);
    }
    let mut slots = [const { None }; TOP_KEYS.len()];
    // Validated: only a key whose escape decodes to no character fails.
    de.slots(TOP_KEYS, &mut slots).map_err(|_| INVALID_JSON)?;
    Ok(Top::from_slots(slots, Kept::walked()))
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use std::string::String;
    use std::vec::Vec;

    use super::super::{found, Message, PARAM_KEYS, TOP_KEYS};

    /// The walk and the validating pass answer `line` alike; whether it
    /// was a message.
    fn same(line: &[u8]) -> bool {
        let (a, b): (&'static mut [u8], &'static mut [u8]) = (leak(line), leak(line));
        let found = found::message(a);
        let walked = super::top(b).and_then(super::super::decode::<Message>).map(Some);
        assert_eq!(found, walked, "{}", String::from_utf8_lossy(line));
        matches!(walked, Ok(Some(_)))
    }

    fn leak(line: &[u8]) -> &'static mut [u8] {
        std::boxed::Box::leak(line.into())
    }

    const LINES: &[&str] = &[
        r#"{"version":"1.0","client":"aimdb-cli"}"#,
        r#"{"version":"1.0","client":null,"auth_token":"s\u0033cret","x":[{"version":2}]}"#,
        r#"{"hello":{"version":"1.2","client":"x","capabilities":["read"],"auth_token":"s\u0033cret"}}"#,
        r#"{"hello":{"version":"1","version":"2","auth_token":7},"id":1,"method":"ping"}"#,
        r#"{"hello":[],"version":"1"}"#,
        r#"{"hello":{"\ud800":1,"version":"1"}}"#,
        r#"{"hello":{"v\u0065rsion":"1.0","client":"a\nb"}}"#,
        r#"{"id":1,"method":"ping"}"#,
        r#"{"method":"ping"}"#,
        r#"{"id":4}"#,
        r#"{"id":-0,"method":"record.list","params":null}"#,
        r#"{"id":18446744073709551615,"method":"record\u002eget"}"#,
        r#"{"id":18446744073709551616,"method":"record.get"}"#,
        r#"{"id":1.5,"method":"ping"}"#,
        r#"{"id":"1","method":"ping"}"#,
        r#"{"id":3,"method":7}"#,
        r#"{"id":3,"method":"record.getx"}"#,
        r#"{"id":3,"method":"record.set","params":{"name":"config.log\u005flevel","value":{"a":[1,"}"]}}}"#,
        r#"{"method":"record.get","id":9,"params":{"record":"a\"b"}}"#,
        r#"{"id":4,"method":"record.subscribe","params":{"name":"a","send_initial":false,"queue_size":8,"limit":3,"subscription_id":"sub-2"}}"#,
        r#"{"id":4,"method":"record.subscribe","params":{"max_rate_hz":0.5,"min_interval_ms":-2e3}}"#,
        r#"{"id":6,"method":"record.subscribe","params":{"max_rate_hz":"10"}}"#,
        r#"{"id":5,"method":"record.drain","params":{"limit":4294967296}}"#,
        r#"{"id":6,"method":"record.get","params":[]}"#,
        r#"{"id":7,"method":"record.get","params":{"name":5}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"a","name":"b"}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":5,"name":"b"}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"a"},"params":{}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"a"},"params":null}"#,
        r#"{"id":1,"method":"record.get","params":{"x":1},"params":{"name":"c"}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"a"},"params":[]}"#,
        r#"{"id":1,"x":{"name":"no"},"method":"record.get","params":{"v":{"name":"no"},"record":"r"}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"a","limit":1,"limit":2,"limit":3,"limit":4,"limit":5,"limit":6,"limit":7,"limit":8}}"#,
        r#"{"id":1,"method":"record.get","params":{"limit":1,"limit":2,"limit":3,"limit":4,"limit":5,"limit":6,"limit":7,"limit":8,"limit":-1}}"#,
        r#"{"\u0069d":1,"method":"record.get","params":{"n\u0061me":"e"}}"#,
        r#"{"id":1,"method":"record.get","params":{"\ud800":1}}"#,
        r#"{"id":1,"method":"ping","\ud800":1}"#,
        r#"{"id":2,"method":"record.set","params":{"value":"a\nb","name":"n"}}"#,
        r#"{"id":1,"method":"record.get","params":{"name":"t\u00e9\ud83d\ude00"}}"#,
        r#"{"id":1,"method":"record.unsubscribe","params":{"subscription_id":"sub-123456789012345678901234567890"}}"#,
        r#" { "id" : 1 , "method" : "record.get" , "params" : { "name" : "t" } } "#,
        r#"{"id":1,"method":"record.get","params":{"name":"t"}} {}"#,
        r#"[1,2]"#,
        r#""s""#,
        r#"{}"#,
        r#"{"id":1,"method":"record.set","params":{"name":"n","value":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
        r#"{"t":"req","id":1,"method":"hello","params":{"client":"c","version":"3.0","auth_token":"k"}}"#,
        r#"{"t":"req","id":9007199254740993,"method":"record.get","params":{"name":"a.b"}}"#,
        r#"{"t":"sub","id":2,"topic":"sensor.#","max_rate_hz":2.5,"min_interval_ms":"x"}"#,
        r#"{"t":"unsub","sub":"2"}"#,
        r#"{"t":"ping","id":99}"#,
        r#"{"t":"write","topic":"a","payload":{"value":{"x":1}}}"#,
        r#"{"t":"write","topic":"a","payload":{ "value" : 5 }}"#,
        r#"{"t":"req","id":"21","method":"x"}"#,
        r#"{"t":5,"id":20}"#,
    ];

    #[test]
    fn every_line_prefix_and_single_byte_change_answers_alike() {
        let mut answered = 0;
        for line in LINES {
            let line = line.as_bytes();
            answered += usize::from(same(line));
            for n in 0..line.len() {
                same(&line[..n]);
            }
            for i in 0..line.len() {
                let mut cut = line.to_vec();
                cut.remove(i);
                same(&cut);
                for b in [b' ', b'"', b'\\', b'{', b'}', b'[', b']', b':', b',', b'0', b'-', b'n', b'u', 0xc3, 0x01] {
                    let mut changed = line.to_vec();
                    changed[i] = b;
                    same(&changed);
                }
            }
        }
        // Most of the lines as written are messages, not refusals.
        assert!(answered > LINES.len() / 2, "{answered}");
    }

    /// Random objects from the members a line may have (escaped keys,
    /// repeats, bad escapes, nested and unknown members included).
    #[test]
    fn random_objects_answer_alike() {
        // Every key the decoder knows (both tables, each once), and more:
        // unknown, known ones spelled with escapes, keys that do not decode.
        let mut keys: Vec<&str> = Vec::new();
        for k in TOP_KEYS.iter().chain(PARAM_KEYS).chain(&["x", r"n\u0061me", r"\u0069d", r"\ud800", r"a\nb"]) {
            if !keys.contains(k) {
                keys.push(k);
            }
        }
        const SCALARS: &[&str] = &[
            "1",
            "0",
            "-0",
            "7.5",
            "-2e3",
            "4294967296",
            "18446744073709551616",
            "true",
            "false",
            "null",
            r#""ping""#,
            r#""record.get""#,
            r#""record.set""#,
            r#""req""#,
            r#""sub""#,
            r#""1.0""#,
            r#""a\"b""#,
            r#""\ud83d\ude00""#,
            r#""\ud800""#,
            r#""x""#,
            "[]",
            "{}",
            "[1,{\"name\":2}]",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn object(keys: &[&str], next: &mut dyn FnMut(usize) -> usize, depth: usize, out: &mut String) {
            out.push('{');
            for m in 0..next(6) {
                if m > 0 {
                    out.push(',');
                }
                out.push_str(&std::format!("\"{}\":", keys[next(keys.len())]));
                if depth < 2 && next(3) == 0 {
                    object(keys, next, depth + 1, out);
                } else {
                    out.push_str(SCALARS[next(SCALARS.len())]);
                }
            }
            out.push('}');
        }
        let mut answered = Vec::new();
        for _ in 0..30_000 {
            let mut line = String::new();
            object(&keys, &mut next, 0, &mut line);
            answered.push(same(line.as_bytes()));
        }
        // Both kinds of answer were compared, not just refusals.
        assert!(answered.iter().filter(|ok| **ok).count() > 1_000, "{}", answered.iter().filter(|ok| **ok).count());
        assert!(answered.iter().filter(|ok| !**ok).count() > 1_000);
    }
}
