//! A validating JSON scanner that never recurses, and helpers to walk the
//! members of an object by raw byte spans.
//!
//! Every line is validated here first: one JSON value, at most
//! [`MAX_DEPTH`] levels deep. After that the walkers below and the
//! deserializer (which recurses once per level of the target type) may
//! assume the input is well formed and bounded. Strings are unescaped in
//! place by [`unescape_in_place`].

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

/// The index of the first byte at or after `i` that is not JSON whitespace.
pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Validates a string starting at the opening quote (its non-ASCII bytes
/// must be UTF-8); returns the index after the closing quote.
fn string(s: &[u8], mut i: usize) -> Result<usize, ScanError> {
    i += 1;
    loop {
        // Plain printable ASCII needs no look: skip it in one tight loop.
        i += special(s.get(i..).ok_or(ScanError::Invalid)?).ok_or(ScanError::Invalid)?;
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
            0x80.. => {
                // A run of non-ASCII bytes ends where ASCII resumes, and no
                // UTF-8 sequence spans an ASCII byte: check the run whole.
                let run = s[i..].iter().position(|&b| b < 0x80).map_or(s.len(), |n| i + n);
                if !super::utf8::valid(&s[i..run]) {
                    return Err(ScanError::Invalid);
                }
                i = run;
            }
            _ => return Err(ScanError::Invalid), // a control character
        }
    }
}

/// The index of the first byte in `s` that a string scan must look at: a
/// quote, a backslash, a control character or a non-ASCII byte. A word
/// at a time (a word's worth of plain text costs a few instructions).
#[cfg(target_pointer_width = "64")]
fn special(s: &[u8]) -> Option<usize> {
    use super::swar;
    let mut chunks = s.chunks_exact(swar::WORD);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let w = swar::word(chunk);
        let hits = swar::eq(w, b'"') | swar::eq(w, b'\\') | swar::below(w, 0x20) | (w & swar::HIGH);
        if hits != 0 {
            return Some(n * swar::WORD + swar::first(hits));
        }
    }
    let tail = chunks.remainder();
    let at = s.len() - tail.len();
    tail.iter().position(|&b| b == b'"' || b == b'\\' || b.wrapping_sub(0x20) >= 0x60).map(|n| at + n)
}

/// [`special`] a byte at a time where words are small (an MCU, where the
/// word loop would cost more flash than it saves time).
#[cfg(not(target_pointer_width = "64"))]
fn special(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'"' || b == b'\\' || b.wrapping_sub(0x20) >= 0x60)
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

// Inlined into both validators on hosts (each one pass, hot); an MCU
// keeps one copy.
#[cfg_attr(target_pointer_width = "64", inline(always))]
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
/// whitespace), nested at most [`MAX_DEPTH`] deep, its strings UTF-8.
pub fn validate(s: &[u8]) -> Result<(), ScanError> {
    whole(s, scan::<false>(s, skip_ws(s, 0), &mut |_| {}))
}

/// Whether the value that ended at `end` is the whole of `s` (whitespace
/// after it allowed).
fn whole(s: &[u8], end: Result<usize, ScanError>) -> Result<(), ScanError> {
    if skip_ws(s, end?) == s.len() {
        Ok(())
    } else {
        Err(ScanError::Invalid)
    }
}

/// A member of the top-level object (`depth` 1) or of an object that is
/// the value of one (`depth` 2, `parent` the span of that member's key),
/// found by [`validate_members`]. Spans index the validated text; keys are
/// the raw text between their quotes, values the exact span of their JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// 1 or 2.
    pub depth: u8,
    /// The key of the depth-1 member this one is inside (depth 2 only).
    pub parent: core::ops::Range<usize>,
    /// The raw key.
    pub key: core::ops::Range<usize>,
    /// The value.
    pub value: core::ops::Range<usize>,
}

/// [`validate`], reporting each member at depth 1 and 2 to `found` as it
/// ends (so a depth-2 member comes before the depth-1 member holding it):
/// one pass finds what a request needs, nothing is scanned twice.
pub fn validate_members(s: &[u8], found: &mut dyn FnMut(Member)) -> Result<(), ScanError> {
    whole(s, scan::<true>(s, skip_ws(s, 0), found))
}

/// Validates the one value at `i` and returns the index just past it;
/// with `MEMBERS` it reports members as [`validate_members`] does (without,
/// that bookkeeping is not compiled: an MCU validates with no members).
fn scan<const MEMBERS: bool>(s: &[u8], mut i: usize, found: &mut dyn FnMut(Member)) -> Result<usize, ScanError> {
    // Bit n of `stack` is 1 when nesting level n is an object, 0 for an array.
    let mut stack: u64 = 0;
    let mut depth = 0usize;
    // The key and value start of the member open at depth 1 and at depth 2.
    let mut open: [Option<(core::ops::Range<usize>, usize)>; 2] = [None, None];
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
                    i = key::<MEMBERS>(s, i, depth, &mut open)?;
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
            // A value just ended at `i`: the member open at this depth, if
            // any, is complete.
            if !MEMBERS {
                // Nothing is ever open.
            } else if let Some((k, start)) = open.get_mut(depth.wrapping_sub(1)).and_then(Option::take) {
                let parent = match &open[0] {
                    Some((p, _)) if depth == 2 => p.clone(),
                    _ => 0..0,
                };
                found(Member { depth: depth as u8, parent, key: k, value: start..i });
            }
            if depth == 0 {
                return Ok(i);
            }
            i = skip_ws(s, i);
            let in_object = stack & (1 << (depth - 1)) != 0;
            match (s.get(i), in_object) {
                (Some(b','), true) => {
                    i = key::<MEMBERS>(s, skip_ws(s, i + 1), depth, &mut open)?;
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

/// Parses `"key" :` at `i` (in an object at `depth`) and returns the index
/// of the value after it; a key at depth 1 or 2 opens a member in `open`
/// (at depth 2 only inside a depth-1 member, not in an array).
#[cfg_attr(target_pointer_width = "64", inline(always))] // as `number`
fn key<const MEMBERS: bool>(
    s: &[u8],
    i: usize,
    depth: usize,
    open: &mut [Option<(core::ops::Range<usize>, usize)>; 2],
) -> Result<usize, ScanError> {
    if s.get(i) != Some(&b'"') {
        return Err(ScanError::Invalid);
    }
    let end = string(s, i)?;
    let colon = skip_ws(s, end);
    if s.get(colon) != Some(&b':') {
        return Err(ScanError::Invalid);
    }
    let value = skip_ws(s, colon + 1);
    if MEMBERS && (depth == 1 || (depth == 2 && open[0].is_some())) {
        open[depth - 1] = Some((i + 1..end - 1, value));
    }
    Ok(value)
}

/// The index just past the value starting at `i`, in input already
/// [`validate`]d (on other input it still ends within `s`).
///
/// On an MCU this is the validator itself (one scanner in the flash, not
/// two); a host skims (faster: strings are scanned, the rest only
/// counted or skipped to a delimiter). Both give the same index on
/// validated input (tested).
#[cfg(not(target_pointer_width = "64"))]
pub fn value_end(s: &[u8], i: usize) -> usize {
    scan::<false>(s, i, &mut |_| {}).unwrap_or(s.len())
}

/// The index just past the value starting at `i`, in input already
/// [`validate`]d (on other input it still ends within `s`).
#[cfg(target_pointer_width = "64")]
pub fn value_end(s: &[u8], i: usize) -> usize {
    skim_end(s, i)
}

/// [`value_end`] by skimming: strings are scanned, everything else only
/// counted (brackets) or skipped to the next delimiter.
#[cfg(any(test, target_pointer_width = "64"))]
fn skim_end(s: &[u8], mut i: usize) -> usize {
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

/// Reads the piece at `*i` and moves past it: its bytes, as many as the
/// count says (a byte other than `\` is itself; an escape is the UTF-8 of
/// its character). `None` for an invalid escape (unknown letter, bad hex,
/// a lone or reversed surrogate).
fn next_piece(raw: &[u8], i: &mut usize) -> Option<([u8; 4], usize)> {
    let b = raw[*i];
    if b != b'\\' {
        *i += 1;
        return Some(([b, 0, 0, 0], 1));
    }
    let letter = *raw.get(*i + 1)?;
    if letter != b'u' {
        // One table, not a `match` per letter: less code on an MCU.
        let k = br#""\/bfnrt"#.iter().position(|&e| e == letter)?;
        *i += 2;
        return Some(([b"\"\\/\x08\x0c\n\r\t"[k], 0, 0, 0], 1));
    }
    let hex = |at: usize| -> Option<u32> {
        raw.get(at..at + 4)?.iter().try_fold(0u32, |n, &h| Some(n << 4 | (h as char).to_digit(16)?))
    };
    let mut code = hex(*i + 2)?;
    let mut len = 6;
    if (0xD800..0xDC00).contains(&code) {
        // A high surrogate must be followed by an escaped low surrogate.
        if raw.get(*i + 6..*i + 8) != Some(b"\\u") {
            return None;
        }
        let low = hex(*i + 8)?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        len = 12;
    }
    *i += len;
    char::from_u32(code).map(|c| utf8(c.into()))
}

/// The UTF-8 of the character `c` (by hand: `char::encode_utf8` is
/// larger on an MCU) and its length.
fn utf8(c: u32) -> ([u8; 4], usize) {
    let n = match c {
        0..0x80 => 1,
        0x80..0x800 => 2,
        0x800..0x1_0000 => 3,
        _ => 4,
    };
    let (mut out, mut rest) = ([0u8; 4], c);
    for k in (1..n).rev() {
        out[k] = 0x80 | (rest as u8 & 0x3f);
        rest >>= 6;
    }
    // The lead byte: `n` ones then a zero (none for ASCII), then the rest.
    out[0] = if n == 1 { rest as u8 } else { (0xF00u32 >> n) as u8 | rest as u8 };
    (out, n)
}

/// Decodes the escapes of a raw JSON string body in place (escaped
/// surrogate pairs included) and returns the decoded length, or `None` if
/// an escape is invalid. Every escape is at least as long as its UTF-8, so
/// the write position never passes the read position: no scratch buffer,
/// and a string may be as long as the line it is in.
pub fn unescape_in_place(body: &mut [u8]) -> Option<usize> {
    // Most strings have no escape: nothing moves before the first one.
    let Some(first) = body.iter().position(|&b| b == b'\\') else {
        return Some(body.len());
    };
    let (mut read, mut write) = (first, first);
    while read < body.len() {
        let (bytes, n) = next_piece(body, &mut read)?;
        body[write..write + n].copy_from_slice(&bytes[..n]);
        write += n;
    }
    Some(write)
}

/// Whether the raw (escaped) key equals `want` once decoded; compares as
/// it decodes, so a key of any length needs no buffer.
pub fn key_eq(raw: &[u8], want: &str) -> bool {
    let want = want.as_bytes();
    let (mut i, mut at) = (0, 0);
    while i < raw.len() {
        let Some((bytes, n)) = next_piece(raw, &mut i) else { return false };
        if want.get(at..at + n) != Some(&bytes[..n]) {
            return false;
        }
        at += n;
    }
    at == want.len()
}

/// Whether every escape in the raw (escaped) key decodes to a character
/// (a lone surrogate does not).
pub fn key_decodes(raw: &[u8]) -> bool {
    let mut i = 0;
    while i < raw.len() {
        if next_piece(raw, &mut i).is_none() {
            return false;
        }
    }
    true
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

    /// Where values start in a valid document: after `:`, `,`, `[` or at
    /// the top (whitespace between), outside strings.
    fn value_starts(doc: &[u8]) -> std::vec::Vec<usize> {
        let (mut starts, mut in_string, mut escaped, mut after) = (std::vec::Vec::new(), false, false, true);
        for (i, &b) in doc.iter().enumerate() {
            if in_string {
                (in_string, escaped) = (escaped || b != b'"', !escaped && b == b'\\');
                continue;
            }
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                continue;
            }
            if after && b != b']' && b != b'}' {
                starts.push(i);
            }
            in_string = b == b'"';
            after = matches!(b, b':' | b',' | b'[');
        }
        starts
    }

    #[test]
    fn the_validator_and_the_skim_end_values_alike() {
        let docs = [
            r#" {"a" : [1, -2.5e+3, true, false, null, "x\u00e9\n,]}"], "b":{}, "c":{"d":[[],{}]}} "#,
            r#"[0,"\"",{"k\"":"v"},-0.0e-0 ,1E9 ]"#,
            r#"{"id":1,"method":"record.set","params":{"name":"n","value":{"a":[1,"}"],"b":"\\"}}}"#,
            r#""t\u00e9""#,
            "-12",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ];
        let mut compared = 0;
        for doc in docs {
            let doc = doc.as_bytes();
            assert_eq!(validate(doc), Ok(()), "{}", std::string::String::from_utf8_lossy(doc));
            for i in value_starts(doc) {
                let validated = scan::<false>(doc, i, &mut |_| {}).unwrap();
                assert_eq!(validated, skim_end(doc, i), "{} at {i}", std::string::String::from_utf8_lossy(doc));
                compared += 1;
            }
        }
        assert!(compared > 40, "{compared}");
    }

    fn unescaped(raw: &[u8]) -> Option<std::string::String> {
        let mut body = raw.to_vec();
        let n = unescape_in_place(&mut body)?;
        Some(std::string::String::from_utf8(body[..n].to_vec()).unwrap())
    }

    #[test]
    fn unescapes_in_place_with_surrogates_and_rejects_lone_ones() {
        assert_eq!(unescaped(br"a\ud83d\ude00\u0041\n\/\\").unwrap(), "a\u{1F600}A\n/\\");
        assert_eq!(unescaped(br"x\\ud83d").unwrap(), "x\\ud83d");
        let long = br"line\n".repeat(200);
        assert_eq!(unescaped(&long).unwrap(), "line\n".repeat(200));
        for bad in [&br"\ud83d"[..], br"\ude00", br"\ud83d\u0041", br"\x", br"\u12", br"\u12g4", br"\"] {
            assert_eq!(unescaped(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_character_encodes_as_core_does() {
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let (bytes, n) = utf8(c.into());
            assert_eq!(&bytes[..n], c.encode_utf8(&mut [0; 4]).as_bytes(), "{c:?}");
        }
    }

    #[test]
    fn keys_compare_decoded_at_any_length() {
        assert!(key_eq(br"m\u0065thod", "method"));
        assert!(key_eq(
            br"\u0073\u0075\u0062\u0073\u0063\u0072\u0069\u0070\u0074\u0069\u006f\u006e_id",
            "subscription_id"
        ));
        assert!(!key_eq(b"method", "metho"));
        assert!(!key_eq(b"metho", "method"));
        assert!(!key_eq(br"\ud83d", "x"));
    }
}
