//! A validating JSON scanner that never recurses, and helpers to walk the
//! members of an object by raw byte spans.
//!
//! `serde-json-core` recurses once per nesting level and has no depth limit,
//! so every line is validated here first: one JSON value, at most
//! [`MAX_DEPTH`] levels deep. After that the walkers below may assume the
//! input is well formed.

/// Deepest nesting of objects and arrays accepted in a line.
pub const MAX_DEPTH: usize = 32;

/// Why a line is not acceptable JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanError {
    /// Not valid JSON (or more than one value).
    Invalid,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Validates a string starting at the opening quote; returns the index after
/// the closing quote.
fn string(s: &[u8], mut i: usize) -> Result<usize, ScanError> {
    i += 1;
    while i < s.len() {
        match s[i] {
            b'"' => return Ok(i + 1),
            b'\\' => match s.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    let hex = s.get(i + 2..i + 6).ok_or(ScanError::Invalid)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(ScanError::Invalid);
                    }
                    i += 6;
                }
                _ => return Err(ScanError::Invalid),
            },
            0..=0x1f => return Err(ScanError::Invalid),
            _ => i += 1,
        }
    }
    Err(ScanError::Invalid)
}

fn digits(s: &[u8], mut i: usize) -> Result<usize, ScanError> {
    let start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        Err(ScanError::Invalid)
    } else {
        Ok(i)
    }
}

fn number(s: &[u8], mut i: usize) -> Result<usize, ScanError> {
    if s[i] == b'-' {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(s, i)?,
        _ => return Err(ScanError::Invalid),
    }
    if s.get(i) == Some(&b'.') {
        i = digits(s, i + 1)?;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(s, i)?;
    }
    Ok(i)
}

fn literal(s: &[u8], i: usize, word: &[u8]) -> Result<usize, ScanError> {
    if s.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        Err(ScanError::Invalid)
    }
}

/// Checks that `s` holds exactly one JSON value (with optional surrounding
/// whitespace), nested at most [`MAX_DEPTH`] deep.
pub fn validate(s: &[u8]) -> Result<(), ScanError> {
    // Bit n of `stack` is 1 when nesting level n is an object, 0 for an array.
    let mut stack: u64 = 0;
    let mut depth = 0usize;
    let mut i = skip_ws(s, 0);
    'value: loop {
        // Parse one value at `i`.
        match s.get(i) {
            Some(b'{' | b'[') => {
                if depth == MAX_DEPTH {
                    return Err(ScanError::TooDeep);
                }
                let is_object = s[i] == b'{';
                stack = (stack & !(1 << depth)) | ((is_object as u64) << depth);
                depth += 1;
                i = skip_ws(s, i + 1);
                let close = if is_object { b'}' } else { b']' };
                if s.get(i) == Some(&close) {
                    depth -= 1;
                    i += 1;
                } else if is_object {
                    i = key(s, i)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            Some(b'"') => i = string(s, i)?,
            Some(b'-' | b'0'..=b'9') => i = number(s, i)?,
            Some(b't') => i = literal(s, i, b"true")?,
            Some(b'f') => i = literal(s, i, b"false")?,
            Some(b'n') => i = literal(s, i, b"null")?,
            _ => return Err(ScanError::Invalid),
        }
        // After a value: close containers or move to the next element.
        loop {
            i = skip_ws(s, i);
            if depth == 0 {
                return if i == s.len() { Ok(()) } else { Err(ScanError::Invalid) };
            }
            let in_object = stack & (1 << (depth - 1)) != 0;
            match (s.get(i), in_object) {
                (Some(b','), true) => {
                    i = key(s, skip_ws(s, i + 1))?;
                    continue 'value;
                }
                (Some(b','), false) => {
                    i = skip_ws(s, i + 1);
                    continue 'value;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    depth -= 1;
                    i += 1;
                }
                _ => return Err(ScanError::Invalid),
            }
        }
    }
}

/// Parses `"key" :` at `i` and returns the index of the value after it.
fn key(s: &[u8], i: usize) -> Result<usize, ScanError> {
    if s.get(i) != Some(&b'"') {
        return Err(ScanError::Invalid);
    }
    let i = skip_ws(s, string(s, i)?);
    if s.get(i) != Some(&b':') {
        return Err(ScanError::Invalid);
    }
    Ok(skip_ws(s, i + 1))
}

/// The index just past the value starting at `i`, in input already
/// [`validate`]d.
fn value_end(s: &[u8], mut i: usize) -> usize {
    match s[i] {
        b'"' => string(s, i).unwrap_or(s.len()),
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < s.len() {
                match s[i] {
                    b'"' => {
                        i = string(s, i).unwrap_or(s.len());
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            s.len()
        }
        _ => {
            while i < s.len() && !matches!(s[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            i
        }
    }
}

/// The members of a JSON object, as `(raw key, raw value)` byte spans.
///
/// The key is the text between the quotes, still escaped (compare it with
/// [`key_eq`]); the value is the exact span of its JSON text.
pub struct Members<'a> {
    s: &'a [u8],
    i: usize,
}

/// Iterates the members of `object`, which must be a [`validate`]d JSON
/// object (leading whitespace allowed). Returns `None` when it is not an
/// object.
pub fn members(object: &[u8]) -> Option<Members<'_>> {
    let i = skip_ws(object, 0);
    (object.get(i) == Some(&b'{')).then_some(Members { s: object, i: i + 1 })
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.s;
        let mut i = skip_ws(s, self.i);
        if s.get(i) == Some(&b',') {
            i = skip_ws(s, i + 1);
        }
        if s.get(i) != Some(&b'"') {
            self.i = s.len();
            return None;
        }
        let key_end = value_end(s, i);
        let key = &s[i + 1..key_end - 1];
        let v = skip_ws(s, skip_ws(s, key_end) + 1);
        let v_end = value_end(s, v);
        self.i = v_end;
        Some((key, &s[v..v_end]))
    }
}

/// Decodes the escapes of a raw JSON string body into `out`; returns the
/// decoded length, or `None` if it does not fit or is not valid.
pub fn unescape(raw: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    let mut push = |bytes: &[u8], n: &mut usize| -> Option<()> {
        out.get_mut(*n..*n + bytes.len())?.copy_from_slice(bytes);
        *n += bytes.len();
        Some(())
    };
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            push(&raw[i..i + 1], &mut n)?;
            i += 1;
            continue;
        }
        let simple = match raw.get(i + 1)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => 0,
            _ => return None,
        };
        if simple != 0 {
            push(&[simple], &mut n)?;
            i += 2;
            continue;
        }
        let hex = |at: usize| -> Option<u32> {
            let h = core::str::from_utf8(raw.get(at..at + 4)?).ok()?;
            u32::from_str_radix(h, 16).ok()
        };
        let mut code = hex(i + 2)?;
        i += 6;
        if (0xD800..0xDC00).contains(&code) {
            // A high surrogate must be followed by an escaped low surrogate.
            if raw.get(i..i + 2) != Some(b"\\u") {
                return None;
            }
            let low = hex(i + 2)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
        }
        let c = char::from_u32(code)?;
        push(c.encode_utf8(&mut [0; 4]).as_bytes(), &mut n)?;
    }
    Some(n)
}

/// Rewrites every escaped UTF-16 surrogate pair (`\ud83d\ude00`) inside
/// the strings of a [`validate`]d line into its raw UTF-8 bytes, in place,
/// and returns the new length.
///
/// `serde-json-core` decodes `\uXXXX` one code unit at a time and refuses
/// surrogates, but JSON encoders commonly escape non-BMP characters that
/// way. The rewrite only shrinks the text, and a lone surrogate is left as
/// it is (and later refused).
pub fn fold_surrogate_pairs(line: &mut [u8]) -> usize {
    // Most lines have no escape at all, and then nothing changes.
    if !line.contains(&b'\\') {
        return line.len();
    }
    let (mut read, mut write) = (0, 0);
    let mut in_string = false;
    while read < line.len() {
        let b = line[read];
        if in_string && b == b'\\' {
            let escape_len = if line.get(read + 1) == Some(&b'u') { 6 } else { 2 };
            let mut utf8 = [0u8; 4];
            if let Some(c) = surrogate_pair(&line[read..]) {
                let bytes = c.encode_utf8(&mut utf8).as_bytes();
                line[write..write + bytes.len()].copy_from_slice(bytes);
                write += bytes.len();
                read += 12;
            } else {
                let end = (read + escape_len).min(line.len());
                line.copy_within(read..end, write);
                write += end - read;
                read = end;
            }
            continue;
        }
        if b == b'"' {
            in_string = !in_string;
        }
        line[write] = b;
        write += 1;
        read += 1;
    }
    write
}

/// The character of a `\uD8xx\uDCxx` pair at the start of `s`.
fn surrogate_pair(s: &[u8]) -> Option<char> {
    let hex = |at: usize| -> Option<u32> {
        let h = core::str::from_utf8(s.get(at..at + 4)?).ok()?;
        u32::from_str_radix(h, 16).ok()
    };
    if s.get(..2) != Some(b"\\u") || s.get(6..8) != Some(b"\\u") {
        return None;
    }
    let (high, low) = (hex(2)?, hex(8)?);
    if !(0xD800..0xDC00).contains(&high) || !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

/// Whether the raw (escaped) key equals `want` once decoded.
pub fn key_eq(raw: &[u8], want: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == want.as_bytes();
    }
    let mut buf = [0u8; 32];
    matches!(unescape(raw, &mut buf), Some(n) if &buf[..n] == want.as_bytes())
}

/// The raw value of the member `name` of a validated `object`, if present.
pub fn member<'a>(object: &'a [u8], name: &str) -> Option<&'a [u8]> {
    members(object)?.find(|(k, _)| key_eq(k, name)).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_json() {
        for ok in [
            "{}",
            "[]",
            " {\"a\" : [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"], \"b\":{}} ",
            "0",
            "\"s\"",
            "[[[]]]",
        ] {
            assert_eq!(validate(ok.as_bytes()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_invalid_json() {
        for bad in [
            "",
            "{",
            "}",
            "{\"a\"}",
            "{\"a\":}",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "tru",
            "\"\\x\"",
            "\"\\u12\"",
            "{} {}",
            "[1 2]",
            "{1:2}",
            "\"a\u{1}\"",
            "{\"a\":1]",
        ] {
            assert_eq!(validate(bad.as_bytes()), Err(ScanError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let mut deep = [b'['; 200];
        deep[100..].fill(b']');
        assert_eq!(validate(&deep), Err(ScanError::TooDeep));
        let ok = [b"[".repeat(MAX_DEPTH), b"]".repeat(MAX_DEPTH)].concat();
        assert_eq!(validate(&ok), Ok(()));
        let over = [b"[".repeat(MAX_DEPTH + 1), b"]".repeat(MAX_DEPTH + 1)].concat();
        assert_eq!(validate(&over), Err(ScanError::TooDeep));
    }

    #[test]
    fn walks_members_with_exact_spans() {
        let obj = br#"{"id":7, "params" : {"v":[1,{"x":"}"}]}, "m\u0065thod":"ping"}"#;
        let got: heapless::Vec<(&[u8], &[u8]), 4> = members(obj).unwrap().collect();
        assert_eq!(got[0], (&b"id"[..], &b"7"[..]));
        assert_eq!(got[1], (&b"params"[..], &br#"{"v":[1,{"x":"}"}]}"#[..]));
        assert_eq!(member(obj, "method"), Some(&b"\"ping\""[..]));
        assert_eq!(member(obj, "nope"), None);
        assert!(members(b"[1]").is_none());
    }

    #[test]
    fn folds_surrogate_pairs_only_inside_strings() {
        let mut line = *br#"{"a\ud83d\ude00":"x\\ud83d\ude00 \ud83d\ude00\u0041 \ud83d"}"#;
        let n = fold_surrogate_pairs(&mut line);
        let folded = core::str::from_utf8(&line[..n]).unwrap();
        // An escaped backslash followed by text is not an escape; a lone
        // surrogate is kept for the decoder to refuse.
        assert_eq!(folded, "{\"a\u{1F600}\":\"x\\\\ud83d\\ude00 \u{1F600}\\u0041 \\ud83d\"}");
        assert_eq!(validate(&line[..n]), Ok(()));
    }

    #[test]
    fn unescapes_surrogates_and_rejects_lone_ones() {
        let mut buf = [0u8; 16];
        let n = unescape(br"a\ud83d\ude00\u0041", &mut buf).unwrap();
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), "a\u{1F600}A");
        assert_eq!(unescape(br"\ud83d", &mut buf), None);
        assert_eq!(unescape(br"\ude00", &mut buf), None);
    }
}
