//! Fixed-point numbers for parameters that may be fractional, such as
//! `max_rate_hz`: a JSON number read in 32-bit integer arithmetic at a
//! given number of decimals, with no floating point linked for it.

/// A number as a whole count of `10^-decimals` units: its magnitude
/// (saturating at `u32::MAX`), its sign, and whether non-zero digits below
/// the unit were cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    /// Below zero (`-0` included, so `-0` is refused like any negative).
    pub negative: bool,
    units: u32,
    exact: bool,
}

impl Fixed {
    /// Reads a JSON value the scanner has validated, in units of
    /// `10^-decimals`: `None` when it is not a number. (Being validated,
    /// a number's text needs no grammar check here.)
    pub fn parse(text: &[u8], decimals: i32) -> Option<Fixed> {
        let (negative, text) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        if !text.first()?.is_ascii_digit() {
            return None;
        }
        let (mantissa, exponent) = text.split_at(text.iter().position(|&b| b | 0x20 == b'e').unwrap_or(text.len()));
        let mut exp = 0i32;
        for &b in exponent.iter().filter(|b| b.is_ascii_digit()) {
            exp = (exp * 10 + i32::from(b - b'0')).min(1_000);
        }
        if exponent.get(1) == Some(&b'-') {
            exp = -exp;
        }
        // The power of ten, in units, of the first digit; each next digit
        // is one lower. Digits below the unit only decide `exact`.
        let whole = mantissa.iter().position(|&b| b == b'.').unwrap_or(mantissa.len());
        let mut power = whole as i32 - 1 + exp + decimals;
        let (mut units, mut exact) = (0u32, true);
        for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
            let d = b - b'0';
            if power >= 0 {
                units = units.saturating_mul(10).saturating_add(d.into());
            } else {
                exact &= d == 0;
            }
            power -= 1;
        }
        // Trailing zeros the digits did not write (`5e3`).
        while power >= 0 && units != 0 && units != u32::MAX {
            units = units.saturating_mul(10);
            power -= 1;
        }
        Some(Fixed { negative, units, exact })
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.units == 0 && self.exact
    }

    /// Whether the value is a whole number of units.
    pub fn is_whole(&self) -> bool {
        self.exact
    }

    /// The magnitude in units, rounded up (a tiny non-zero value gives 1,
    /// never 0), saturating at `u32::MAX`.
    pub fn units_up(&self) -> u32 {
        self.units.saturating_add(u32::from(!self.exact))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str, decimals: i32) -> Fixed {
        Fixed::parse(text.as_bytes(), decimals).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(n("10", 6).units_up(), 10_000_000);
        assert_eq!(n("0.5", 6).units_up(), 500_000);
        assert_eq!(n("2.50", 6).units_up(), 2_500_000);
        assert_eq!(n("5e-1", 6).units_up(), 500_000);
        assert_eq!(n("1E+3", 6).units_up(), 1_000_000_000);
        assert_eq!(n("0.0000001", 6).units_up(), 1, "rounded up, never to zero");
        assert_eq!(n("0.30000000000000004", 6).units_up(), 300_001);
        assert_eq!(n("1e-300", 6).units_up(), 1);
        assert_eq!(n("123456789012345678901234567890", 0).units_up(), u32::MAX);
        assert_eq!(n("1e400", 0).units_up(), u32::MAX);
        assert_eq!(n("65535", 0).units_up(), 65_535);
        assert_eq!(n("0.000", 6).units_up(), 0);
        assert!(n("0", 0).is_zero() && n("0.0e5", 0).is_zero() && n("-0", 6).is_zero() && !n("1e-9", 6).is_zero());
    }

    #[test]
    fn signs_and_whole_numbers() {
        assert!(n("-1", 0).negative && n("-0", 0).negative && !n("1", 0).negative);
        assert!(n("100", 0).is_whole() && n("1.000", 0).is_whole() && n("1.5e1", 0).is_whole());
        assert!(!n("1.5", 0).is_whole() && !n("15e-1", 0).is_whole() && !n("1.0000001", 0).is_whole());
        assert_eq!(n("-2e3", 0).units_up(), 2_000);
    }

    #[test]
    fn not_numbers() {
        for text in ["", "-", "\"1\"", "true", "null", "[1]", "{\"a\":1}"] {
            assert_eq!(Fixed::parse(text.as_bytes(), 6), None, "{text}");
        }
    }
}
