//! `f32` to decimal text and back, exactly, with integer arithmetic only.
//!
//! This replaces `core`'s float parser (`dec2flt`, ~15 KB with its tables)
//! and `ryu` (~13 KB of `f64` tables, also used for `f32`) on the device:
//!
//! * [`parse_f32`]: a decimal `d × 10^q` is first estimated in 64 bits
//!   (never above its value, and within ~2^-53 of it), then the `f32` is
//!   settled exactly: the value is compared with the point halfway to the
//!   next `f32` in 224-bit integers (`d·5^q` against `h·2^g`, powers moved
//!   to one side), ties to even, subnormals included. No `u128`: on a
//!   32-bit MCU its arithmetic is several KB of inlined code.
//! * [`write_f32`]: for 1, 2, … 9 significant digits, the nearest decimal is
//!   estimated and checked by parsing it back exactly; the first one that
//!   gives the same bits is written. Nine digits always round-trip for `f32`.
//!
//! More than 19 significant digits are kept as 19 plus a "nonzero tail"
//! flag; such a number is refused only in the (rare) case where the tail
//! could change the rounding, never rounded wrongly.

use core::cmp::Ordering;

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

/// A little-endian unsigned integer of 224 bits: enough for every exact
/// comparison below (at most ~180 bits are used). Loops over `u32` limbs
/// compile to far less code than `u128` arithmetic on a 32-bit MCU.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Big([u32; 7]);

impl Big {
    fn new(v: u64) -> Big {
        let mut limbs = [0; 7];
        (limbs[0], limbs[1]) = (v as u32, (v >> 32) as u32);
        Big(limbs)
    }

    fn mul(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let x = *limb as u64 * m as u64 + carry;
            (*limb, carry) = (x as u32, x >> 32);
        }
        debug_assert_eq!(carry, 0, "Big overflowed");
    }

    /// Multiplies by `5^p`, 13 factors at a time (`5^13 < 2^32`).
    fn mul_pow5(&mut self, mut p: u32) {
        while p > 0 {
            let n = p.min(13);
            self.mul(5u32.pow(n));
            p -= n;
        }
    }

    fn shl(&mut self, n: u32) {
        debug_assert!(self.bits() + n <= 224, "Big overflowed");
        let (words, bits) = ((n / 32) as usize, n % 32);
        let old = self.0;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let hi = if i >= words { old[i - words] } else { 0 };
            let lo = if i > words { old[i - words - 1] } else { 0 };
            *limb = if bits == 0 { hi } else { hi << bits | lo >> (32 - bits) };
        }
    }

    fn bits(&self) -> u32 {
        let top = self.0.iter().rposition(|&l| l != 0);
        top.map_or(0, |i| 32 * i as u32 + 32 - self.0[i].leading_zeros())
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

/// Compares `d × 10^q` with `h × 2^g`, exactly.
fn compare(d: u64, q: i32, h: u32, g: i32) -> Ordering {
    // d·5^q·2^q against h·2^g: the powers of 5 and of 2 go to one side each.
    let (mut left, mut right) = (Big::new(d), Big::new(h.into()));
    if q >= 0 {
        left.mul_pow5(q as u32);
    } else {
        right.mul_pow5(q.unsigned_abs());
    }
    let twos = q - g;
    if twos >= 0 {
        left.shl(twos as u32);
    } else {
        right.shl(twos.unsigned_abs());
    }
    left.cmp(&right)
}

/// `d × 2^e × 10^k` (`d > 0`) as `x × 2^e'` with `x` in `[2^63, 2^64)`,
/// rounded down at every step: below the exact value by a relative error
/// of at most ~2^-53 for the `|k| <= 66` used here.
fn scale(d: u64, e: i32, k: i32) -> (u64, i32) {
    let lz = d.leading_zeros();
    let (mut x, mut e) = (d << lz, e - lz as i32);
    for _ in 0..k.unsigned_abs() {
        if k > 0 {
            // x < 2^60 after the shift, so times 10 stays below 2^64.
            (x, e) = ((x >> 4) * 10, e + 4);
        } else {
            x /= 10;
        }
        let lz = x.leading_zeros();
        (x, e) = (x << lz, e - lz as i32);
    }
    (x, e)
}

/// The `f32` magnitude bits of `x × 2^e` (`x >= 2^63`) rounded down;
/// `0x7f80_0000` and above: at least `2^128`.
fn bits_below(x: u64, e: i32) -> u32 {
    let exponent = e + 63;
    if exponent > 127 {
        0x7f80_0000
    } else if exponent >= -126 {
        ((exponent + 127) as u32) << 23 | (x >> 40) as u32 & 0x7f_ffff
    } else {
        x.checked_shr((-86 - exponent) as u32).unwrap_or(0) as u32
    }
}

/// The point halfway between the `f32` magnitudes `bits` and `bits + 1`,
/// as `(h, g)` meaning `h × 2^g`.
fn halfway(bits: u32) -> (u32, i32) {
    let field = (bits >> 23) as i32;
    let fraction = bits & 0x7f_ffff;
    let (m, e) = if field == 0 { (fraction, -149) } else { (fraction | 1 << 23, field - 150) };
    (2 * m + 1, e - 1)
}

/// The `f32` magnitude bits nearest to `d × 10^q`; with `tail`, the true
/// value lies strictly between `d × 10^q` and `(d + 1) × 10^q`.
fn decimal_bits(d: u64, q: i32, tail: bool) -> Result<u32, FloatError> {
    let bits = bits_above(d, q, tail)?;
    // Rounding is monotonic: if both ends of the interval round alike, so
    // does everything between them.
    if tail && bits_above(d + 1, q, false) != Ok(bits) {
        return Err(FloatError::TooPrecise);
    }
    Ok(bits)
}

/// The `f32` magnitude bits nearest to `d × 10^q` (ties to even), or to a
/// value a hair above it when `above`.
fn bits_above(d: u64, q: i32, above: bool) -> Result<u32, FloatError> {
    if d == 0 {
        return Ok(0);
    }
    let digits = d.ilog10() as i32 + 1;
    // Below 10^-46 (under half the smallest subnormal, 2^-150): zero.
    if q.saturating_add(digits) <= -46 {
        return Ok(0);
    }
    // At least 10^39: above f32::MAX and the half unit past it.
    if q.saturating_add(digits - 1) >= 39 {
        return Err(FloatError::OutOfRange);
    }
    // Start from the estimate, which is never above the answer, and step
    // up while the value lies past the halfway point to the next `f32`
    // (one or two steps at most: the estimate is that close).
    let (x, e) = scale(d, 0, q);
    let mut bits = bits_below(x, e);
    loop {
        if bits >= 0x7f80_0000 {
            return Err(FloatError::OutOfRange);
        }
        let (h, g) = halfway(bits);
        let up = match compare(d, q, h, g) {
            Ordering::Greater => true,
            Ordering::Equal => above || bits & 1 == 1,
            Ordering::Less => false,
        };
        if !up {
            return Ok(bits);
        }
        bits += 1;
    }
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

/// About `floor(m × 2^e × 10^k)`, within a few units of an 18-digit
/// result: enough to find the nearest `k`-scaled decimal to ±1.
fn scaled_int(m: u32, e: i32, k: i32) -> u64 {
    let (x, e) = scale(m.into(), e, k);
    if e >= 0 {
        u64::MAX
    } else {
        x.checked_shr(e.unsigned_abs()).unwrap_or(0)
    }
}

/// Decides most of [`write_f32`]'s candidates without the exact check, on
/// 64-bit hosts (where the check is most of the time a value spends being
/// written: a subscriber's events, for one); on an MCU it decides none, as
/// its flash is worth more there.
///
/// A candidate and the value are compared on the scale of `wide` (v's
/// first 18 digits), where one ulp of v is `wide / m`. Both estimates are
/// below the truth by at most ~2^-53 of it plus a unit, so a margin of
/// 2^-16 of half an ulp (at least ~45,000 units) covers them.
struct Near {
    /// Half the distance to the next `f32` up and down, less the margin.
    up: u64,
    down: u64,
    /// Half the larger distance plus the margin: beyond it nothing rounds to v.
    reach: u64,
}

impl Near {
    fn new(wide: u64, m: u32, magnitude: u32) -> Near {
        let half = wide / (2 * m as u64);
        let margin = (half >> 16) + 4096;
        // Just above a power of two the next `f32` down is half as far.
        let lopsided = magnitude & 0x7f_ffff == 0 && magnitude >> 23 > 1;
        let down = if lopsided { half / 2 } else { half };
        Near { up: half.saturating_sub(margin), down: down.saturating_sub(margin), reach: half + margin }
    }

    /// `Some(true)`: the candidate at `at` (same scale) surely rounds to v;
    /// `Some(false)`: surely not (asked only below 9 digits, so the search
    /// always ends by 9, as nine digits always round-trip); `None`: check it.
    fn settles(&self, p: i32, at: u64, wide: u64) -> Option<bool> {
        if !cfg!(target_pointer_width = "64") {
            return None;
        }
        let (gap, half) = if at >= wide { (at - wide, self.up) } else { (wide - at, self.down) };
        if gap < half {
            Some(true)
        } else if p < 9 && gap > self.reach {
            Some(false)
        } else {
            None
        }
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
        // `wide` holds v's first 18 digits (to within a few units); fewer
        // digits are rounded from it, then checked exactly.
        let near = Near::new(wide, m, magnitude);
        'search: for p in 1..=10 {
            let k = p - 1 - d10;
            let unit = 10u64.pow(18 - p as u32);
            let c = wide / unit + (wide % unit * 2 >= unit) as u64;
            for cand in [c, c.wrapping_sub(1), c + 1] {
                if cand != 0
                    && cand != u64::MAX
                    && near
                        .settles(p, cand.wrapping_mul(unit), wide)
                        .unwrap_or_else(|| decimal_bits(cand, -k, false) == Ok(magnitude))
                {
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
/// Plain notation (with at least one digit after the point) when the point
/// falls at most 16 digits in or 4 zeros out; otherwise `d.ddde±x`.
fn layout(negative: bool, digits: u64, exp: i32, buf: &mut [u8; F32_MAX_LEN]) -> usize {
    let mut text = [0u8; 20];
    let text: &[u8] = crate::wire::out::digits(digits, &mut text);
    let count = text.len() as i32;
    // Digits before the decimal point.
    let point = count + exp;
    let plain = point > -5 && point <= 16;
    // One loop writes both forms: digit `k` of the number (zero outside
    // the significant digits), `k` from the leading `0` of `0.00ddd` (or
    // the first digit) to the last digit or the `0` of `ddd00.0`.
    let (after, end) = if plain { (point, count.max(point + 1)) } else { (1, count) };
    let mut len = 0;
    let mut put = |b: u8| {
        buf[len] = b;
        len += 1;
    };
    if negative {
        put(b'-');
    }
    for k in (after - 1).min(0)..end {
        put(if (0..count).contains(&k) { text[k as usize] } else { b'0' });
        if k == after - 1 && k + 1 < end {
            put(b'.');
        }
    }
    if !plain {
        put(b'e');
        let e = point - 1;
        if e < 0 {
            put(b'-');
        }
        let e = e.unsigned_abs();
        if e >= 10 {
            put(b'0' + (e / 10) as u8);
        }
        put(b'0' + (e % 10) as u8);
    }
    len
}

#[cfg(test)]
mod tests;
