//! The float path against `core`'s formatter and parser.
//!
//! The default run checks `SMALL` random values of each kind; the
//! `#[ignore]`d `million_*` tests check 10^6 each (CI runs them in release:
//! `cargo test --release -p aimx --lib float -- --ignored`).

use std::format;
use std::string::String;

use super::*;

const SMALL: u32 = 20_000;
const MILLION: u32 = 1_000_000;

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn written(v: f32) -> String {
    let mut buf = [0u8; F32_MAX_LEN];
    let n = write_f32(v, &mut buf);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn significant_digits(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len().max(1)
}

/// Formats `v`; the text must be JSON, parse back to the same bits with
/// both parsers, and have at most 9 significant digits. Returns whether it
/// is longer than `core`'s shortest form.
fn check_format(v: f32) -> bool {
    let s = written(v);
    let core_back: f32 = s.parse().unwrap_or_else(|_| panic!("{s} is not a number"));
    assert_eq!(core_back.to_bits(), v.to_bits(), "{v:e} wrote {s}, core reads {core_back:e}");
    let own_back = parse_f32(s.as_bytes()).unwrap();
    assert_eq!(own_back.to_bits(), v.to_bits(), "{v:e} wrote {s}, read back {own_back:e}");
    let json: serde_json::Value = serde_json::from_str(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert!(json.is_number(), "{s}");
    let n = significant_digits(&s);
    assert!(n <= 9, "{v:e} wrote {s}");
    n > significant_digits(&format!("{v:e}"))
}

/// Parses `s` with both parsers; they must agree (or ours must say the
/// magnitude is out of range where `core` gives infinity).
fn check_parse(s: &str) {
    let want: f32 = s.parse().unwrap();
    match parse_f32(s.as_bytes()) {
        Ok(got) => assert_eq!(got.to_bits(), want.to_bits(), "{s}: got {got:e}, want {want:e}"),
        Err(FloatError::OutOfRange) => assert!(want.is_infinite(), "{s}: refused, core reads {want:e}"),
        Err(e) => panic!("{s}: {e:?}"),
    }
}

fn random_formats(count: u32, seed: u64) {
    let mut rng = Rng(seed);
    let mut longer = 0;
    for _ in 0..count {
        let v = f32::from_bits(rng.next() as u32);
        if v.is_finite() {
            longer += check_format(v) as u32;
        }
    }
    // Shortest is the aim; a longer (still <= 9 digit) form may appear only
    // next to a power of two, where the rounding interval is lopsided.
    assert!(longer * 1000 <= count, "{longer} of {count} longer than core's shortest");
}

/// A decimal with 1..=9 significant digits and an exponent that covers
/// subnormals to overflow.
fn random_decimal(rng: &mut Rng) -> String {
    let digits = 1 + rng.next() % 9;
    let d = rng.next() % 10u64.pow(digits as u32);
    let e = (rng.next() % 100) as i32 - 55;
    let sign = if rng.next() % 2 == 0 { "" } else { "-" };
    match rng.next() % 3 {
        0 => format!("{sign}{d}e{e}"),
        1 => format!("{sign}{d}E+{}", e.max(0)),
        _ => {
            // The same digits with a decimal point somewhere.
            let text = format!("{d}");
            let at = (rng.next() % (text.len() as u64 + 1)) as usize;
            let (a, b) = text.split_at(at);
            let a = if a.is_empty() { "0" } else { a };
            if b.is_empty() {
                format!("{sign}{a}e{e}")
            } else {
                format!("{sign}{a}.{b}e{e}")
            }
        }
    }
}

fn random_parses(count: u32, seed: u64) {
    let mut rng = Rng(seed);
    for _ in 0..count {
        check_parse(&random_decimal(&mut rng));
    }
}

/// The exact decimal of the point halfway between `v` and the next `f32`
/// up, and numbers just below and above it.
fn halfway_strings(v: f32) -> [String; 3] {
    let next = f32::from_bits(v.to_bits() + 1);
    let half = (v as f64 + next as f64) / 2.0; // exact: 25 bits
    let exact = format!("{half:.120e}");
    let (mantissa, exp) = exact.split_once('e').unwrap();
    let mantissa = mantissa.trim_end_matches('0');
    let below = format!("{}e{exp}", &mantissa[..mantissa.len().min(22)]);
    let above = format!("{mantissa}000000001e{exp}");
    [format!("{mantissa}e{exp}"), below, above]
}

/// Halfway strings have many digits: ours either agrees with `core` or says
/// it cannot decide from 19 digits; never a wrong answer.
fn check_long(s: &str) -> bool {
    let want: f32 = s.parse().unwrap();
    match parse_f32(s.as_bytes()) {
        Ok(got) => {
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
            true
        }
        Err(FloatError::TooPrecise) => false,
        Err(FloatError::OutOfRange) => {
            assert!(want.is_infinite(), "{s}");
            true
        }
        Err(e) => panic!("{s}: {e:?}"),
    }
}

#[test]
fn edge_values_format_and_parse_back() {
    let mut edges = std::vec![
        0.0,
        -0.0,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(2),
        f32::from_bits(0x007f_ffff),
        f32::EPSILON,
        1.0,
        0.1,
        21.7,
        16_777_216.0,
        16_777_218.0,
        1e-7,
        3.0e-39,
    ];
    for p in -45..=38 {
        edges.push(format!("1e{p}").parse().unwrap());
    }
    for exp in 0..255u32 {
        for mant in [0, 1, 0x40_0000, 0x7f_fffe, 0x7f_ffff] {
            edges.push(f32::from_bits(exp << 23 | mant));
        }
    }
    for v in edges {
        check_format(v);
        check_format(-v);
    }
    assert_eq!(written(21.7), "21.7");
    assert_eq!(written(1.0), "1.0");
    assert_eq!(written(-0.0), "-0.0");
    assert_eq!(written(1e20), "1e20");
    assert_eq!(written(1.5e-7), "1.5e-7");
    assert_eq!(written(0.001), "0.001");
    assert_eq!(written(f32::from_bits(1)), "1e-45");
    assert_eq!(written(f32::MAX), "3.4028235e38");
}

#[test]
fn edge_decimals_parse_like_core() {
    for s in [
        "0",
        "-0",
        "0.0",
        "1",
        "1.5",
        "21.7",
        "0.1",
        "3.4028235e38",
        "3.4028236e38",
        "3.4028234e38",
        "1.1754942e-38",
        "1.1754944e-38",
        "1e-45",
        "1.4e-45",
        "7e-46",
        "7.1e-46",
        "7.006492e-46",
        "7.006493e-46",
        "1e-46",
        "16777217",
        "16777219",
        "33554433",
        "33554435",
        "67108868",
        "67108870",
        "134217736",
        "1e38",
        "1e-38",
        "9.99999999e37",
        "000000000000000000000001",
        "0.000000000000000000000000000001",
        "123456789e-50",
        "1e100000",
        "1e-100000",
        "0e999999",
        "100000000000000000000000000000000000000",
    ] {
        check_parse(s);
    }
    // 39 digits just below and at the overflow threshold.
    for s in ["340282356779733661637539395458142568447", "340282356779733661637539395458142568448"] {
        check_long(s);
    }
    for s in ["", "-", "1e", "1e+", "a", "1.2.3", "--1"] {
        assert_eq!(parse_f32(s.as_bytes()), Err(FloatError::Syntax), "{s:?}");
    }
    assert_eq!(parse_f32(b"1e39"), Err(FloatError::OutOfRange));
}

#[test]
fn halfway_cases_never_round_wrong() {
    // Odd integers past 2^24 are exactly halfway between two f32s.
    for h in (16_777_217u64..16_800_000).step_by(2) {
        check_parse(&format!("{h}"));
        check_parse(&format!("{}", h * 2));
        check_parse(&format!("{}", h * 16));
    }
    let mut rng = Rng(7);
    let mut decided = 0;
    let mut total = 0;
    for _ in 0..SMALL / 4 {
        let v = f32::from_bits(rng.next() as u32 & 0x7f7f_ffff);
        for s in halfway_strings(v) {
            decided += check_long(&s) as u32;
            total += 1;
        }
    }
    // An exact halfway point with more than 19 digits is always undecided
    // (it lies between the 19-digit neighbours); the ones that are short
    // enough are decided, correctly.
    assert!(decided > 0 && decided < total, "{decided} of {total}");
}

#[test]
fn random_values_format_and_parse_back() {
    random_formats(SMALL, 0x1234_5678_9abc_def1);
}

#[test]
fn random_decimals_parse_like_core() {
    random_parses(SMALL, 0x0fed_cba9_8765_4321);
}

#[test]
#[ignore = "10^6 values; CI runs it in release"]
fn million_values_format_and_parse_back() {
    random_formats(MILLION, 0xdead_beef_cafe_f00d);
}

#[test]
#[ignore = "10^6 values; CI runs it in release"]
fn million_decimals_parse_like_core() {
    random_parses(MILLION, 0x5eed_5eed_5eed_5eed);
}

/// [`write_f32`] as it was before most candidates were decided without the
/// exact check (`Near`): every one is checked. The texts must be the same.
fn written_checking_every_candidate(v: f32) -> String {
    let magnitude = v.to_bits() & 0x7fff_ffff;
    let (mut digits, mut exp) = (0u64, 0i32);
    if magnitude != 0 {
        let field = (magnitude >> 23) as i32;
        let (m, e) = if field == 0 { (magnitude, -149) } else { (magnitude & 0x7f_ffff | 1 << 23, field - 150) };
        let e2 = e + 31 - m.leading_zeros() as i32;
        let mut d10 = (e2 * 1233) >> 12;
        let mut wide = scaled_int(m, e, 17 - d10);
        if wide < 100_000_000_000_000_000 {
            d10 -= 1;
            wide = scaled_int(m, e, 17 - d10);
        } else if wide >= 1_000_000_000_000_000_000 {
            d10 += 1;
            wide = scaled_int(m, e, 17 - d10);
        }
        'search: for p in 1..=10 {
            let k = p - 1 - d10;
            let unit = 10u64.pow(18 - p as u32);
            let c = wide / unit + (wide % unit * 2 >= unit) as u64;
            for cand in [c, c.wrapping_sub(1), c + 1] {
                if cand != 0 && cand != u64::MAX && decimal_bits(cand, -k, false) == Ok(magnitude) {
                    (digits, exp) = (cand, -k);
                    break 'search;
                }
            }
        }
        while digits % 10 == 0 {
            digits /= 10;
            exp += 1;
        }
    }
    let mut buf = [0u8; F32_MAX_LEN];
    let n = layout(v.to_bits() >> 31 == 1, digits, exp, &mut buf);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn same_as_checking_every_candidate(bits: impl Iterator<Item = u32>) {
    for b in bits {
        let v = f32::from_bits(b);
        if v.is_finite() {
            assert_eq!(written(v), written_checking_every_candidate(v), "{v:e} ({b:#x})");
        }
    }
}

#[test]
fn deciding_candidates_without_the_check_changes_no_text() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    same_as_checking_every_candidate((0..SMALL).map(|_| rng.next() as u32));
    // Both ends of every binade (lopsided intervals at powers of two), the
    // subnormals' smallest values, and the demo sensor's readings.
    let ends = (0..=255u32).flat_map(|field| [field << 23, field << 23 | 1, field << 23 | 0x7f_ffff]);
    same_as_checking_every_candidate(ends.chain(1..=1024));
    same_as_checking_every_candidate((0..2000).map(|i| (21.0f32 + i as f32 * 0.0075).to_bits()));
    same_as_checking_every_candidate((1..=100_000u32).map(|i| (i as f32 / 100.0).to_bits()));
}

#[test]
#[ignore = "every 997th f32 (4.3 M values; every 97th, 44 M, also passed once); CI runs it in release"]
fn every_997th_bit_pattern_as_checking_every_candidate() {
    same_as_checking_every_candidate((0..u32::MAX / 997).map(|i| i * 997));
}

/// The layout as it was before it became one loop: the reference.
fn layout_before(negative: bool, digits: u64, exp: i32, buf: &mut [u8; F32_MAX_LEN]) -> usize {
    let mut text = [0u8; 20];
    let text: &[u8] = crate::wire::out::digits(digits, &mut text);
    let count = text.len() as i32;
    // Digits before the decimal point.
    let point = count + exp;
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        buf[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    if negative {
        put(b"-");
    }
    if exp >= 0 && point <= 16 {
        put(text);
        for _ in 0..exp {
            put(b"0");
        }
        put(b".0");
    } else if point > 0 && point <= 16 {
        put(&text[..point as usize]);
        put(b".");
        put(&text[point as usize..]);
    } else if point > -5 && point <= 0 {
        put(b"0.");
        for _ in 0..-point {
            put(b"0");
        }
        put(text);
    } else {
        put(&text[..1]);
        if count > 1 {
            put(b".");
            put(&text[1..]);
        }
        put(b"e");
        let e = point - 1;
        if e < 0 {
            put(b"-");
        }
        let e = e.unsigned_abs();
        if e >= 10 {
            put(&[b'0' + (e / 10) as u8]);
        }
        put(&[b'0' + (e % 10) as u8]);
    }
    len
}

/// The one-loop layout writes what the four-branch one wrote, for digit
/// counts up to 17 and every exponent an `f32` can need (and beyond).
#[test]
fn layout_is_unchanged() {
    for negative in [false, true] {
        for digits in [0, 1, 7, 12, 105, 123_456_789, 100_000_001, 1_000_000_000_000_000, 12_345_678_901_234_567] {
            for exp in -70..=60 {
                let (mut a, mut b) = ([0u8; F32_MAX_LEN], [0u8; F32_MAX_LEN]);
                let (n, m) = (layout(negative, digits, exp, &mut a), layout_before(negative, digits, exp, &mut b));
                assert_eq!(a[..n], b[..m], "{digits}e{exp}");
            }
        }
    }
}
