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

use super::{Method, METHODS, NAME_MAX};

/// What a plain line says; the param's text is a span of the line.
pub(crate) struct Plain {
    pub id: u64,
    pub method: Method,
    /// The one params member: its index in [`PARAM_KEYS`](super::PARAM_KEYS) and its text.
    pub param: Option<(usize, Range<usize>)>,
}

/// The string params a plain line may carry, with what follows each key
/// up to its value's opening quote: their index in [`PARAM_KEYS`](super::PARAM_KEYS) and the
/// longest value taken.
const KEYS: [(&[u8], usize, usize); 3] =
    [(b"name\":\"", 0, NAME_MAX), (b"record\":\"", 1, NAME_MAX), (b"subscription_id\":\"", 7, 32)];

/// The request on `line` when it has the plain shape; `None` otherwise.
pub(super) fn read(line: &[u8]) -> Option<Plain> {
    shape(line).filter(|&(_, n)| n == line.len()).map(|(p, _)| p)
}

/// The request on the line at the start of `input` (bytes as they were
/// read: that line, its end, and maybe more) when it has the plain shape
/// and ends right after its last brace with `\n` or `\r\n`: the request,
/// the line's length without its end, and with it. So a plain line is
/// read in one pass, with no separate search for its end (issue 11). The
/// same line cut first (`LineReader::next_line`) reads the same through
/// [`read`]: the shape holds no byte below 0x20, so no `\n` comes before
/// the one found here.
#[inline]
pub(super) fn read_line(input: &[u8]) -> Option<(Plain, usize, usize)> {
    let (p, n) = shape(input)?;
    match input[n..] {
        [b'\n', ..] => Some((p, n, n + 1)),
        [b'\r', b'\n', ..] => Some((p, n, n + 2)),
        _ => None,
    }
}

/// The request at the start of `s` when its bytes have the plain shape up
/// to its last brace, and where that brace ends.
#[inline(always)]
fn shape(s: &[u8]) -> Option<(Plain, usize)> {
    let rest = s.strip_prefix(b"{\"id\":")?;
    let (id, rest) = id(rest)?;
    let rest = rest.strip_prefix(b",\"method\":\"")?;
    // A known name right before a closing quote: no name holds a byte that
    // ends or escapes a string, so this is exactly the string's text being
    // that name (no scan for the quote, no second lookup by name).
    let (method, rest) =
        METHODS.iter().find_map(|&(name, m)| Some((m, rest.strip_prefix(name.as_bytes())?.strip_prefix(b"\"")?)))?;
    if let Some(after) = rest.strip_prefix(b"}") {
        return Some((Plain { id, method, param: None }, s.len() - after.len()));
    }
    let rest = rest.strip_prefix(b",\"params\":{\"")?;
    let (k, max, rest) = KEYS.iter().find_map(|&(key, k, max)| Some((k, max, rest.strip_prefix(key)?)))?;
    let start = s.len() - rest.len();
    let len = stop(rest)?;
    let end = start + len + 3;
    (rest[len..].starts_with(b"\"}}") && len <= max)
        .then(|| (Plain { id, method, param: Some((k, start..start + len)) }, end))
}

/// The text of a plain line's param (`span` as [`read`] gave it).
#[inline]
pub(super) fn param(line: &[u8], span: Range<usize>) -> &str {
    let text = &line[span];
    debug_assert!(text.iter().all(|b| (b' '..=b'~').contains(b)));
    // SAFETY: `read` gave this span only after `stop` found no byte in it
    // outside printable ASCII (0x20..=0x7e), and ASCII is UTF-8. (`from_utf8`
    // checked it again at ~130 instructions a request: 5 % of a pipelined
    // `record.get`'s server CPU.)
    unsafe { core::str::from_utf8_unchecked(text) }
}

/// The first byte of `s` that is not printable ASCII or is `"` or `\`,
/// a word at a time (names and ids are mostly longer than a word); the
/// last word overlaps bytes already tested (they hold no stop, so the
/// first flag is still the first stop).
fn stop(s: &[u8]) -> Option<usize> {
    use crate::wire::swar::{below, eq, first, word, HIGH, WORD};
    // Control bytes, bytes from 0x80 (high bit set), DEL, `"` and `\`.
    let stops = |w| below(w, 0x20) | (w & HIGH) | eq(w, 0x7f) | eq(w, b'"') | eq(w, b'\\');
    let mut at = 0;
    while let Some(chunk) = s.get(at..at + WORD) {
        let hits = stops(word(chunk));
        if hits != 0 {
            return Some(at + first(hits));
        }
        at += WORD;
    }
    match s.len().checked_sub(WORD) {
        Some(last) if at < s.len() => {
            let hits = stops(word(&s[last..]));
            (hits != 0).then(|| last + first(hits))
        }
        Some(_) => None,
        None => s.iter().position(|&b| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\'),
    }
}

/// The id at the start of `s`, in digits as JSON writes an unsigned
/// integer (no leading zero) that fits a `u64`, and what follows them.
fn id(s: &[u8]) -> Option<(u64, &[u8])> {
    // One pass: read and counted together (ids are often 5+ digits).
    let (mut id, mut n) = (0u64, 0);
    while let Some(d) = s.get(n).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        id = id.checked_mul(10)?.checked_add(u64::from(d))?;
        n += 1;
    }
    match s {
        _ if n == 0 => None,
        [b'0', b'0'..=b'9', ..] => None,
        _ => Some((id, &s[n..])),
    }
}

#[cfg(test)]
mod tests {
    use super::super::PARAM_KEYS;
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
    fn ids_read_as_u64_parses_them_up_to_and_past_its_limit() {
        let mut texts: Vec<String> = (0..=21).map(|n| "9".repeat(n)).collect();
        texts.extend((0..=20).map(|k| format!("1{}", "0".repeat(k))));
        texts.extend(
            ["18446744073709551615", "18446744073709551616", "18446744073709551625", "0", "01", "00"].map(String::from),
        );
        for text in texts {
            let want = text.parse::<u64>().ok().filter(|_| text == "0" || !text.starts_with('0'));
            let line = format!("{text},");
            assert_eq!(
                super::id(line.as_bytes()).map(|(id, rest)| (id, rest.to_vec())),
                want.map(|id| (id, b",".to_vec())),
                "{text}"
            );
        }
    }

    #[test]
    fn the_keys_are_the_string_params() {
        for (key, k, _) in super::KEYS {
            assert_eq!([PARAM_KEYS[k].as_bytes(), b"\":\""].concat(), key);
        }
        assert_eq!(super::KEYS.map(|(_, k, _)| PARAM_KEYS[k]), ["name", "record", "subscription_id"]);
    }

    #[test]
    fn every_method_is_read_plainly() {
        for &(name, method) in super::super::METHODS {
            let line = format!(r#"{{"id":3,"method":"{name}"}}"#);
            assert!(same(line.as_bytes()), "{name}");
            assert_eq!(request(line.as_bytes()).method, method);
        }
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
