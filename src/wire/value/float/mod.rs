//! `f32` to decimal text and back, exactly, with integer arithmetic only.
//!
//! This replaces `core`'s float parser (`dec2flt`, ~15 KB with its tables)
//! and `ryu` (~13 KB of `f64` tables, also used for `f32`) on the device:
//!
//! * [`parse_f32`]: a decimal `d × 10^q` is converted exactly. For `q >= 0`
//!   the integer fits a `u128` (anything larger is above `f32::MAX`); for
//!   `q < 0` the quotient `d / 5^-q` (with `5^54 < 2^126`) is produced bit
//!   by bit with its remainder, and the binary exponent takes the `2^-q`.
//!   The result is rounded once, to nearest even, subnormals included.
//! * [`write_f32`]: for 1, 2, … 9 significant digits, the nearest decimal is
//!   estimated and checked by parsing it back exactly; the first one that
//!   gives the same bits is written. Nine digits always round-trip for `f32`.
//!
//! More than 19 significant digits are kept as 19 plus a "nonzero tail"
//! flag; such a number is refused only in the (rare) case where the tail
//! could change the rounding, never rounded wrongly.

/// Why a number could not become an `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// Not a JSON number.
    Syntax,
    /// Its magnitude rounds to infinity.
    OutOfRange,
    /// More than 19 significant digits, and the digits after the 19th
    /// decide the rounding.
    TooPrecise,
}

/// Bit length of `x` (0 for 0).
fn bit_len(x: u128) -> i32 {
    128 - x.leading_zeros() as i32
}

/// `(x + δ) · 2^e` rounded to the nearest `f32` magnitude (ties to even),
/// where `0 < δ < 1` when `sticky` and `δ = 0` otherwise.
fn round_bits(x: u128, e: i32, sticky: bool) -> Result<u32, FloatError> {
    if x == 0 {
        return Ok(0);
    }
    // Keep 24 significant bits, or fewer where the result is subnormal.
    let mut shift = bit_len(x) - 24;
    if e + shift < -149 {
        shift = -149 - e;
    }
    let mant = if shift <= 0 {
        (x << -shift) as u32
    } else if shift >= 128 {
        0
    } else {
        let kept = (x >> shift) as u32;
        let rest = x & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
        kept + up as u32
    };
    if mant == 0 {
        return Ok(0);
    }
    // `mant · 2^lsb` with `mant <= 2^24`; adding it onto the exponent field
    // lets a carry (mant == 2^24, or a subnormal reaching 2^23) move up.
    let biased = e + shift + 150;
    if biased >= 255 {
        return Err(FloatError::OutOfRange);
    }
    let bits = ((biased - 1) as u32) << 23;
    let bits = bits + mant;
    if bits >= 0x7f80_0000 {
        return Err(FloatError::OutOfRange);
    }
    Ok(bits)
}

/// The `f32` magnitude bits nearest to `d × 10^q`; with `tail`, the true
/// value lies strictly between `d × 10^q` and `(d + 1) × 10^q`.
fn decimal_bits(d: u64, q: i32, tail: bool) -> Result<u32, FloatError> {
    let (mut d, mut q, mut tail) = (d, q, tail);
    // 5^54 < 2^126 keeps the long division below from overflowing. Digits
    // dropped here only exist far below the smallest subnormal, or in
    // numbers with more than 9 significant digits.
    while q < -54 {
        if d == 0 {
            return Ok(0);
        }
        tail |= d % 10 != 0;
        d /= 10;
        q += 1;
    }
    let bits = bits_above(d, q, tail)?;
    // Rounding is monotonic: if both ends of the interval round alike, so
    // does everything between them.
    if tail && bits_above(d + 1, q, false) != Ok(bits) {
        return Err(FloatError::TooPrecise);
    }
    Ok(bits)
}

/// The `f32` magnitude bits nearest to `d × 10^q` (`q >= -54`), or to a
/// value a hair above it when `above`.
fn bits_above(d: u64, q: i32, above: bool) -> Result<u32, FloatError> {
    if d == 0 {
        return Ok(0);
    }
    if q >= 0 {
        let x = 10u128.checked_pow(q as u32).and_then(|p| p.checked_mul(d as u128)).ok_or(FloatError::OutOfRange)?;
        return round_bits(x, 0, above);
    }
    let p = -q;
    let den = 5u128.pow(p as u32);
    let (mut quot, mut rem) = (d as u128 / den, d as u128 % den);
    let mut e = -p;
    // Long division until there are 26 bits (24 + round + one more) or the
    // bits are already below the subnormal range.
    while bit_len(quot) < 26 && e > -151 {
        rem <<= 1;
        quot <<= 1;
        if rem >= den {
            rem -= den;
            quot |= 1;
        }
        e -= 1;
    }
    round_bits(quot, e, above || rem != 0)
}

/// Parses a JSON number (as validated by the scanner) into the nearest
/// `f32`, correctly rounded.
pub fn parse_f32(s: &[u8]) -> Result<f32, FloatError> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (mut d, mut kept, mut q, mut tail) = (0u64, 0u32, 0i32, false);
    let mut seen_digit = false;
    let mut in_fraction = false;
    let mut i = 0;
    while i < digits.len() {
        let c = digits[i];
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                let v = c - b'0';
                if kept < 19 {
                    if d != 0 || v != 0 {
                        d = d * 10 + v as u64;
                        kept += 1;
                    }
                    if in_fraction {
                        q -= 1;
                    }
                } else {
                    tail |= v != 0;
                    if !in_fraction {
                        q += 1;
                    }
                }
            }
            b'.' if !in_fraction => in_fraction = true,
            b'e' | b'E' => break,
            _ => return Err(FloatError::Syntax),
        }
        i += 1;
    }
    if !seen_digit {
        return Err(FloatError::Syntax);
    }
    if i < digits.len() {
        let exp = &digits[i + 1..];
        let (exp_negative, exp) = match exp.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, exp),
        };
        if exp.is_empty() {
            return Err(FloatError::Syntax);
        }
        let mut n: i32 = 0;
        for &c in exp {
            if !c.is_ascii_digit() {
                return Err(FloatError::Syntax);
            }
            // Saturate: anything this large is zero or infinite anyway.
            n = (n * 10 + (c - b'0') as i32).min(1_000_000);
        }
        q = q.saturating_add(if exp_negative { -n } else { n });
    }
    let bits = decimal_bits(d, q, tail)?;
    Ok(f32::from_bits(bits | (negative as u32) << 31))
}

/// `floor(v · 10^k · 2)` for `v = m · 2^e`, to within a relative error of
/// about 2^-64: good enough to find the nearest `k`-scaled decimal to ±1.
fn scaled_twice(m: u32, e: i32, k: i32) -> u128 {
    let mut x = m as u128;
    let mut e = e + 1;
    if k >= 0 {
        for _ in 0..k {
            x *= 10;
            if x >> 100 != 0 {
                x >>= 30;
                e += 30;
            }
        }
    } else {
        for _ in 0..-k {
            let room = x.leading_zeros().saturating_sub(1);
            x <<= room;
            e -= room as i32;
            x /= 10;
        }
    }
    if e >= 0 {
        x << e.min(127)
    } else if e <= -128 {
        0
    } else {
        x >> -e
    }
}

/// Room for any `f32` written by [`write_f32`].
pub const F32_MAX_LEN: usize = 24;

/// Writes a finite `f32` as the shortest decimal that parses back to the
/// same bits (at most 9 significant digits) into `buf`; returns its length.
/// Integral values keep a `.0`; very large or small ones use an exponent.
pub fn write_f32(v: f32, buf: &mut [u8; F32_MAX_LEN]) -> usize {
    let bits = v.to_bits();
    let magnitude = bits & 0x7fff_ffff;
    let negative = bits >> 31 == 1;
    let (mut digits, mut exp) = (0u64, 0i32);
    if magnitude != 0 {
        let field = (magnitude >> 23) as i32;
        let (m, e) = if field == 0 { (magnitude, -149) } else { (magnitude & 0x7f_ffff | 1 << 23, field - 150) };
        // floor(log10(v)), estimated from the binary exponent, then fixed.
        let e2 = e + bit_len(m as u128) - 1;
        let mut d10 = (e2 * 1233) >> 12;
        let mut wide = scaled_twice(m, e, 17 - d10) / 2;
        if wide < 100_000_000_000_000_000 {
            d10 -= 1;
            wide = scaled_twice(m, e, 17 - d10) / 2;
        } else if wide >= 1_000_000_000_000_000_000 {
            d10 += 1;
            wide = scaled_twice(m, e, 17 - d10) / 2;
        }
        // `wide` holds v's first 18 digits (to within a unit or so); fewer
        // digits are rounded from it, then checked exactly.
        'search: for p in 1..=10 {
            let k = p - 1 - d10;
            let unit = 10u128.pow(18 - p as u32);
            let c = (wide / unit + (wide % unit * 2 >= unit) as u128) as u64;
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
    layout(negative, digits, exp, buf)
}

/// Writes `±digits × 10^exp` in JSON number form; returns the length.
fn layout(negative: bool, digits: u64, exp: i32, buf: &mut [u8; F32_MAX_LEN]) -> usize {
    let mut text = [0u8; 20];
    let mut n = text.len();
    let mut rest = digits;
    loop {
        n -= 1;
        text[n] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let text = &text[n..];
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

#[cfg(test)]
mod tests;
