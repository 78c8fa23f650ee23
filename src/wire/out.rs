//! A small JSON writer over a borrowed byte buffer.

use serde::Serialize;

use super::value::{self, SerError};
use crate::time::Timestamp;

/// The buffer has no room for what was asked to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

impl core::fmt::Display for Full {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the output buffer is full")
    }
}

impl core::error::Error for Full {}

/// Writes JSON pieces into `buf`, tracking how much is used.
///
/// A failed write leaves the position where it was before the call that
/// failed started only for that call's own bytes; callers that need an
/// all-or-nothing piece remember [`JsonOut::len`] and [`JsonOut::truncate`].
pub struct JsonOut<'a> {
    buf: &'a mut [u8],
    len: usize,
    /// Why the last [`JsonOut::value`] was refused, if it was.
    refused: Option<&'static str>,
}

impl<'a> JsonOut<'a> {
    /// A writer that starts at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        JsonOut { buf, len: 0, refused: None }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes still free.
    pub fn room(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forget everything after `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Raw bytes, copied as they are. Inlined on 64-bit hosts: most
    /// callers pass a short constant, which then copies without a call to
    /// `memcpy` (an MCU keeps one copy: flash).
    #[cfg_attr(target_pointer_width = "64", inline)]
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let end = self.len.checked_add(bytes.len()).ok_or(Full)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(Full)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// A string, quoted and escaped.
    pub fn str(&mut self, s: &str) -> Result<(), Full> {
        self.raw(b"\"")?;
        self.escaped(s)?;
        self.raw(b"\"")
    }

    /// Formatted text as a quoted, escaped JSON string.
    pub fn str_fmt(&mut self, args: core::fmt::Arguments<'_>) -> Result<(), Full> {
        struct Escaping<'o, 'b>(&'o mut JsonOut<'b>);
        impl core::fmt::Write for Escaping<'_, '_> {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                self.0.escaped(s).map_err(|_| core::fmt::Error)
            }
        }
        self.raw(b"\"")?;
        core::fmt::write(&mut Escaping(self), args).map_err(|_| Full)?;
        self.raw(b"\"")
    }

    /// The body of a JSON string (no quotes), escaped.
    pub(crate) fn escaped(&mut self, s: &str) -> Result<(), Full> {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            self.raw(&bytes[start..i])?;
            // `\"`, `\\`, `\n`, `\r`, `\t`; other control characters as `\u00XX`.
            let short = match b {
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                b'"' | b'\\' => b,
                _ => 0,
            };
            if short != 0 {
                self.raw(&[b'\\', short])?;
            } else {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.raw(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])?;
            }
            start = i + 1;
        }
        self.raw(&bytes[start..])
    }

    /// An unsigned integer.
    pub fn u64(&mut self, n: u64) -> Result<(), Full> {
        // 64-bit hosts write the digits in place (no copy of a scratch
        // buffer through `memcpy`); an MCU shares `digits`' one loop.
        #[cfg(target_pointer_width = "64")]
        {
            let end = self.len + decimal_len(n);
            let dst = self.buf.get_mut(self.len..end).ok_or(Full)?;
            pairs_into(dst, n);
            self.len = end;
            Ok(())
        }
        #[cfg(not(target_pointer_width = "64"))]
        self.raw(digits(n, &mut [0; 20]))
    }

    /// `open`, the digits of `n`, `close`: all of it, or nothing when it
    /// does not fit (one room check for the three; 64-bit hosts).
    /// Always inlined: its callers pass constants, copied without `memcpy`.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    pub(crate) fn u64_between(&mut self, open: &[u8], n: u64, close: &[u8]) -> Result<(), Full> {
        let digits = decimal_len(n);
        let end = self.len + open.len() + digits + close.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(Full)?;
        let (head, rest) = dst.split_at_mut(open.len());
        head.copy_from_slice(open);
        let (number, tail) = rest.split_at_mut(digits);
        pairs_into(number, n);
        tail.copy_from_slice(close);
        self.len = end;
        Ok(())
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) -> Result<(), Full> {
        self.raw(if b { b"true" } else { b"false" })
    }

    /// A timestamp as the quoted string `"secs.nanos"`.
    pub fn timestamp(&mut self, t: Timestamp) -> Result<(), Full> {
        // 64-bit hosts write it in place, its length known first: every
        // event carries one, per subscriber (issue 11).
        #[cfg(target_pointer_width = "64")]
        {
            let secs = t.secs();
            let int = decimal_len(secs);
            // `"`, the seconds, `.`, nine digits, `"`.
            let end = self.len + int + 12;
            let dst = self.buf.get_mut(self.len..end).ok_or(Full)?;
            dst[0] = b'"';
            pairs_into(&mut dst[1..=int], secs);
            dst[int + 1] = b'.';
            nine_digits(&mut dst[int + 2..int + 11], t.subsec_nanos());
            dst[int + 11] = b'"';
            self.len = end;
            Ok(())
        }
        // By hand rather than through `Display`: no `core::fmt` on the
        // server's path (it costs flash on MCUs).
        #[cfg(not(target_pointer_width = "64"))]
        {
            self.raw(b"\"")?;
            self.u64(t.secs())?;
            // The nanoseconds with their leading zeros: the digits of
            // 10^9 + nanos, whose leading `1` becomes the point.
            let mut text = [0; 20];
            let nanos = digits(1_000_000_000 + u64::from(t.subsec_nanos()), &mut text);
            nanos[0] = b'.';
            self.raw(nanos)?;
            self.raw(b"\"")
        }
    }

    /// Any serializable value, through [`value::to_json`], all or nothing.
    ///
    /// A value with no JSON form (a map with non-string keys) also gives
    /// `Err(Full)`, and [`JsonOut::refused`] then says why, so callers can
    /// tell the client instead of reporting a full buffer.
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Full> {
        let mark = self.len;
        match value::to_json(self, value) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.len = mark;
                if let SerError::Refused(why) = e {
                    self.refused = Some(why);
                }
                Err(Full)
            }
        }
    }

    /// Why a [`JsonOut::value`] call on this writer was refused, if one was.
    pub fn refused(&self) -> Option<&'static str> {
        self.refused
    }
}

/// Each two-digit number's digits, for the 64-bit digit writers.
#[cfg(target_pointer_width = "64")]
const PAIRS: &[u8; 200] = b"00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859606162636465666768697071727374757677787980\
    81828384858687888990919293949596979899";

/// How many decimal digits `n` has (1 for zero): from its bit length,
/// which puts it at `t` or `t + 1` digits, and one comparison (inlined:
/// `checked_ilog10` was a call of ~25 instructions per number).
#[cfg(target_pointer_width = "64")]
#[inline]
fn decimal_len(n: u64) -> usize {
    // `AT_LEAST[t]`: the smallest number of `t + 1` digits (zero for one).
    const AT_LEAST: [u64; 20] = {
        let mut table = [0; 20];
        let mut t = 1;
        while t < 20 {
            table[t] = 10u64.pow(t as u32);
            t += 1;
        }
        table
    };
    // 1233 / 4096 is just above log10(2): `t` is the digits of 2^(bits-1), less one.
    let bits = 64 - (n | 1).leading_zeros() as usize;
    let t = (bits * 1233) >> 12;
    t + usize::from(n >= AT_LEAST[t])
}

/// Writes the decimal digits of `n` into `dst`, which is exactly
/// [`decimal_len`]`(n)` bytes: two at a time from the back, from a table;
/// an odd count leaves the first digit (or zero's `0`) for the end. The
/// one digit loop of 64-bit hosts, for [`digits`] and [`JsonOut::u64`].
#[cfg(target_pointer_width = "64")]
#[inline]
fn pairs_into(dst: &mut [u8], mut n: u64) {
    let mut i = dst.len();
    while n >= 10 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        dst[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if i > 0 {
        dst[0] = b'0' + n as u8;
    }
}

/// `n` (below 10^9) as exactly nine digits, leading zeros kept: four
/// pairs from the table and the first digit, with no length to find.
#[cfg(target_pointer_width = "64")]
#[inline]
fn nine_digits(dst: &mut [u8], n: u32) {
    let dst: &mut [u8; 9] = dst.try_into().expect("nine digits");
    let mut n = n % 1_000_000_000;
    for i in (0..4).rev() {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        dst[1 + 2 * i..3 + 2 * i].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    dst[0] = b'0' + n as u8;
}

/// The decimal digits of `n`, written at the end of `text`, two at a time
/// from a table on 64-bit hosts (issue 11: an event's sequence and
/// timestamp are ~25 digits, written per event per subscriber).
#[cfg(target_pointer_width = "64")]
pub(crate) fn digits(n: u64, text: &mut [u8; 20]) -> &mut [u8] {
    let start = text.len() - decimal_len(n);
    pairs_into(&mut text[start..], n);
    &mut text[start..]
}

/// The decimal digits of `n`, written at the end of `text`. One copy of
/// the digit loop for integers, timestamps and floats (flash on MCUs).
#[cfg(not(target_pointer_width = "64"))]
#[inline(never)]
pub(crate) fn digits(mut n: u64, text: &mut [u8; 20]) -> &mut [u8] {
    let mut i = text.len();
    loop {
        i -= 1;
        text[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &mut text[i..]
}

impl core::fmt::Write for JsonOut<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.raw(s.as_bytes()).map_err(|_| core::fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut JsonOut) -> Result<(), Full>) -> Option<heapless::String<128>> {
        let mut buf = [0u8; 128];
        let mut out = JsonOut::new(&mut buf);
        f(&mut out).ok()?;
        let s = core::str::from_utf8(out.as_bytes()).ok()?;
        heapless::String::try_from(s).ok()
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(written(|o| o.str("a\"b\\c\nd\u{1}é")).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn every_ascii_character_reads_back() {
        for b in 0..=0x7fu8 {
            let text = std::format!("a{}z", b as char);
            let json = written(|o| o.str(&text)).unwrap();
            assert_eq!(serde_json::from_str::<std::string::String>(&json).unwrap(), text, "{json}");
            // Only what JSON requires is escaped; DEL is not.
            assert_eq!(
                json.len(),
                text.len()
                    + 2
                    + if b < 0x20 && !b"\n\r\t".contains(&b) {
                        5
                    } else {
                        (b < 0x20 || b == b'"' || b == b'\\') as usize
                    }
            );
        }
        assert_eq!(written(|o| o.str("\r\t\u{1f}\u{7f}")).unwrap(), "\"\\r\\t\\u001f\u{7f}\"");
    }

    #[test]
    fn formatted_strings_are_escaped() {
        let name = "a\"b";
        assert_eq!(
            written(|o| o.str_fmt(format_args!("record '{name}' not found"))).unwrap(),
            "\"record 'a\\\"b' not found\""
        );
    }

    #[test]
    fn numbers_and_timestamps() {
        assert_eq!(written(|o| o.u64(0)).unwrap(), "0");
        assert_eq!(written(|o| o.u64(u64::MAX)).unwrap(), "18446744073709551615");
        assert_eq!(written(|o| o.timestamp(Timestamp::from_nanos(35_250_000_000))).unwrap(), "\"35.250000000\"");
        let t = Timestamp::from_nanos(u64::MAX);
        let mut want = heapless::String::<64>::new();
        core::fmt::write(&mut want, format_args!("\"{t}\"")).unwrap();
        assert_eq!(written(|o| o.timestamp(t)).unwrap(), want);
        assert_eq!(written(|o| o.timestamp(Timestamp::from_nanos(7))).unwrap(), "\"0.000000007\"");
    }

    #[test]
    fn timestamps_match_display_and_fit_or_not_at_all() {
        // Seconds of every digit count, nanoseconds of every digit count
        // (leading zeros kept), and the largest timestamp.
        let secs = (0..20).map(|e| 10u64.pow(e).min(u64::MAX / 1_000_000_000)).chain([0, 9, 1_764_332_412]);
        let nanos = [0, 1, 7, 10, 99, 100, 12_345, 250_000_000, 999_999_999, 100_000_000, 1_000_001];
        for s in secs {
            for n in nanos {
                let t = Timestamp::from_nanos(s.saturating_mul(1_000_000_000).saturating_add(n));
                let want = std::format!("\"{t}\"");
                assert_eq!(written(|o| o.timestamp(t)).unwrap(), want.as_str());
                // One byte short: refused, nothing written.
                let mut buf = std::vec![0u8; want.len()];
                let mut out = JsonOut::new(&mut buf);
                out.raw(b"[").unwrap();
                assert_eq!(out.timestamp(t), Err(Full));
                assert_eq!(out.as_bytes(), b"[");
            }
        }
        let t = Timestamp::from_nanos(u64::MAX);
        assert_eq!(written(|o| o.timestamp(t)).unwrap(), std::format!("\"{t}\"").as_str());
    }

    #[test]
    fn digits_match_display_at_every_length() {
        // Each power of ten and its neighbours (every digit count, both
        // parities), every number below 100,000, and the largest.
        let edges = (0..20).flat_map(|e| {
            let p = 10u64.pow(e);
            [p - 1, p, p + 1, p.saturating_mul(7).saturating_add(3)]
        });
        for n in (0..100_000).chain(edges).chain([u64::MAX - 1, u64::MAX]) {
            let mut text = [0; 20];
            let want = std::format!("{n}");
            assert_eq!(digits(n, &mut text), want.as_bytes(), "{n}");
        }
    }

    #[test]
    fn integers_at_every_digit_count() {
        // Each length's smallest and largest number, written whole, and
        // refused whole (nothing written) where it is one byte too long.
        let mut ns = std::vec![0, 9, u64::MAX];
        ns.extend((1..20).flat_map(|k| [10u64.pow(k), 10u64.pow(k) - 1, 10u64.pow(k) + 7]));
        for n in ns {
            let text = std::format!("{n}");
            assert_eq!(written(|o| o.u64(n)).unwrap(), text.as_str());
            let mut buf = std::vec![0u8; text.len() + 1];
            let mut out = JsonOut::new(&mut buf);
            out.raw(b"[").unwrap();
            out.u64(n).unwrap();
            assert_eq!(out.as_bytes(), std::format!("[{n}").as_bytes());
            let mut out = JsonOut::new(&mut buf[1..]);
            out.raw(b"[").unwrap();
            assert_eq!(out.u64(n), Err(Full));
            assert_eq!(out.as_bytes(), b"[");
        }
    }

    #[test]
    fn full_buffer_is_reported() {
        let mut buf = [0u8; 4];
        let mut out = JsonOut::new(&mut buf);
        assert_eq!(out.raw(b"abcde"), Err(Full));
        assert_eq!(out.len(), 0);
        assert_eq!(out.str("abc"), Err(Full));
    }
}
