//! The shape every known client writes its requests in, read without the
//! general parser: `{"id":7,"method":"record.get"}`, or with
//! `,"params":{"name":"temp"}` before the last brace (one string member,
//! `name`, `record` or `subscription_id`); no whitespace, no escape, only
//! printable ASCII in the strings, the id in plain digits.
//!
//! A line of exactly that shape is valid JSON whose only members are those,
//! so [`super::general`] decodes it to the same request: this is a shortcut,
//! not a second grammar. Every other line (a hello, spaces, an escape,
//! other params, a v3 frame, anything to answer with an error) is left to
//! the general path. 64-bit hosts only (`request.rs` decides): on an MCU
//! a second path costs more flash than the time it saves is worth there.

use core::ops::Range;

use super::{Method, NAME_MAX, PARAM_KEYS};

/// What a plain line says; the param's text is a span of the line.
pub(super) struct Plain {
    pub id: u64,
    pub method: Method,
    /// The one params member: its index in [`PARAM_KEYS`] and its text.
    pub param: Option<(usize, Range<usize>)>,
}

/// The request on `line` when it has the plain shape; `None` otherwise.
pub(super) fn read(line: &[u8]) -> Option<Plain> {
    let rest = line.strip_prefix(b"{\"id\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (id_text, rest) = rest.split_at(digits);
    let id = id(id_text)?;
    let rest = rest.strip_prefix(b",\"method\":\"")?;
    let (name, rest) = text(rest)?;
    let method = Method::from_name(name)?;
    if rest == b"}" {
        return Some(Plain { id, method, param: None });
    }
    let rest = rest.strip_prefix(b",\"params\":{\"")?;
    let (key, rest) = text(rest)?;
    // name, record, subscription_id: the string params, with their limits.
    let (k, max) = match PARAM_KEYS.iter().position(|k| k.as_bytes() == key)? {
        k @ (0 | 1) => (k, NAME_MAX),
        k @ 7 => (k, 32),
        _ => return None,
    };
    let rest = rest.strip_prefix(b":\"")?;
    let start = line.len() - rest.len();
    let (value, rest) = text(rest)?;
    (rest == b"}}" && value.len() <= max).then(|| Plain { id, method, param: Some((k, start..start + value.len())) })
}

/// String text up to its closing quote, and what follows the quote: only
/// printable ASCII other than `\` (anything else goes the general way).
fn text(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = stop(s)?;
    (s[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
}

/// The first byte of `s` that is not printable ASCII or is `"` or `\`,
/// a word at a time (names and ids are mostly longer than a word).
fn stop(s: &[u8]) -> Option<usize> {
    use crate::wire::swar::{below, eq, first, word, HIGH, WORD};
    let mut chunks = s.chunks_exact(WORD);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let w = word(chunk);
        // Control bytes, bytes from 0x80 (high bit set), DEL, `"` and `\`.
        let hits = below(w, 0x20) | (w & HIGH) | eq(w, 0x7f) | eq(w, b'"') | eq(w, b'\\');
        if hits != 0 {
            return Some(n * WORD + first(hits));
        }
    }
    let tail = chunks.remainder();
    let stops = |&b: &u8| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\';
    tail.iter().position(stops).map(|n| s.len() - tail.len() + n)
}

/// Digits as JSON writes an unsigned integer (no leading zero) that fits a `u64`.
fn id(digits: &[u8]) -> Option<u64> {
    match digits {
        [] | [b'0', _, ..] => None,
        _ => digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0'))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{general, parse, Message, Request};
    use super::{read, stop};
    use std::format;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// Both paths on copies of `line`: the plain one must give exactly what
    /// the general one gives, whenever it answers at all.
    fn same(line: &[u8]) -> bool {
        let (mut a, mut b) = (line.to_vec(), line.to_vec());
        let fast = parse(&mut a);
        let slow = general(&mut b);
        assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
        read(line).is_some()
    }

    fn request(line: &[u8]) -> Request<'_> {
        match read(line).map(|p| super::super::plain_request(line, p)) {
            Some(r) => r,
            None => panic!("not plain: {}", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn the_shapes_clients_write_are_read_plainly() {
        for line in [
            &br#"{"id":1,"method":"record.get","params":{"name":"temperature"}}"#[..],
            br#"{"id":18446744073709551615,"method":"record.get","params":{"record":"config.log_level"}}"#,
            br#"{"id":0,"method":"record.list"}"#,
            br#"{"id":5,"method":"record.unsubscribe","params":{"subscription_id":"sub-3"}}"#,
            br#"{"id":6,"method":"record.subscribe","params":{"name":"a b ~ {}[]:,"}}"#,
            br#"{"id":7,"method":"record.set","params":{"name":"x"}}"#,
        ] {
            assert!(same(line));
        }
        let r = request(br#"{"id":42,"method":"record.get","params":{"record":"sensor.t"}}"#);
        assert_eq!((r.id, r.params.record, r.params.name), (42, Some("sensor.t"), None));
        assert!(matches!(r.method, super::Method::Get) && r.value.is_none());
    }

    #[test]
    fn everything_else_goes_the_general_way_with_the_same_answer() {
        let name64 = "n".repeat(64);
        let name65 = "n".repeat(65);
        let sub33 = "s".repeat(33);
        let lines: Vec<String> = [
            r#"{"id":01,"method":"record.get","params":{"name":"t"}}"#,
            r#"{"id":-1,"method":"record.get"}"#,
            r#"{"id":1.0,"method":"record.get"}"#,
            r#"{"id":18446744073709551616,"method":"record.get"}"#,
            r#"{"id":,"method":"record.get"}"#,
            r#"{"id": 1,"method":"record.get"}"#,
            r#"{"id":1,"method":"record.gets"}"#,
            r#"{"id":1,"method":"record\u002eget"}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"t\"x"}}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"tä"}}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"t","name":"u"}}"#,
            r#"{"id":1,"method":"record.get","params":{"limit":"t"}}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"t"}} "#,
            r#"{"id":1,"method":"record.get","params":{"name":"t"}}}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"t"},"id":2}"#,
            r#"{"id":1,"method":"record.get","params":{"name":"t"}"#,
            r#"{"id":1,"method":"record.get","params":{}}"#,
            r#"{"id":1,"method":"record.get","params":null}"#,
            r#"{"id":1,"method":"record.get"},"#,
            r#"{"id":1,"method":"record.get""#,
            r#"{"id":1,"method":"record.get","params":{"name":1}}"#,
            r#"{"id":1,"method":"ping","params":{"subscription_id":"a"}"#,
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            format!(r#"{{"id":1,"method":"record.get","params":{{"name":"{name64}"}}}}"#),
            format!(r#"{{"id":1,"method":"record.get","params":{{"name":"{name65}"}}}}"#),
            format!(r#"{{"id":1,"method":"record.unsubscribe","params":{{"subscription_id":"{sub33}"}}}}"#),
        ])
        .collect();
        let plain: Vec<bool> = lines.iter().map(|l| same(l.as_bytes())).collect();
        // Only the 64-byte name is plain; every other line was answered by
        // the general path (and `same` checked the answers agree).
        assert_eq!(plain.iter().filter(|p| **p).count(), 1);
        assert!(plain[plain.len() - 3]);
    }

    #[test]
    fn every_cut_and_every_byte_changed_answers_as_the_general_path() {
        // Lines near the shape: each prefix, and each byte replaced by a
        // byte that matters to the grammar; whatever `read` does with them,
        // `parse` answers as the general path does.
        let base = br#"{"id":12,"method":"record.get","params":{"name":"t1"}}"#;
        let mut plain = 0;
        for n in 0..=base.len() {
            plain += usize::from(same(&base[..n]));
        }
        assert_eq!(plain, 1, "only the whole line is plain");
        for i in 0..base.len() {
            for b in [b' ', b'"', b'\\', b'{', b'}', b':', b',', b'0', b'9', b'a', 0x7f, 0xc3, 0x00] {
                let mut line = base.to_vec();
                line[i] = b;
                same(&line);
            }
        }
        assert!(matches!(parse(&mut base.to_vec()), Ok(Some(Message::Request(_)))));
    }

    #[test]
    fn the_word_search_stops_where_the_byte_rule_does() {
        // Every byte value at every position of texts longer and shorter
        // than a word, after printable filler; a second stop later never
        // hides the first.
        let rule = |s: &[u8]| s.iter().position(|&b| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\');
        for len in 0..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = std::vec![b'a'; len];
                    s[at] = b;
                    if at + 2 < len {
                        s[at + 2] = b'"';
                    }
                    assert_eq!(stop(&s), rule(&s), "{s:?}");
                }
            }
            assert_eq!(stop(&std::vec![b'~'; len]), None);
        }
    }
}
