//! Byte searches a word (8 bytes) at a time on 64-bit hosts, for the scans every line goes
//! through (finding its end, skipping plain string text). Portable integer
//! arithmetic only: no `unsafe`, no SIMD, the same on an MCU.
//!
//! Each test sets the high bit of every byte that matches, and may also set
//! it in bytes above a match (a borrow moves up), never below one: so the
//! lowest set bit, [`first`], is always exact.
#![cfg_attr(not(target_pointer_width = "64"), allow(dead_code))] // MCUs search a byte at a time.

/// A machine word: the unit of every test here.
pub(crate) type Word = usize;
/// Its size in bytes.
pub(crate) const WORD: usize = core::mem::size_of::<Word>();

const LOW: Word = Word::MAX / 255;
/// The high bit of every byte.
pub(crate) const HIGH: Word = LOW << 7;

/// The word in `chunk` (`WORD` bytes), first byte lowest.
pub(crate) fn word(chunk: &[u8]) -> Word {
    Word::from_le_bytes(chunk.try_into().unwrap_or_default())
}

/// Bytes of `w` equal to `b`.
pub(crate) fn eq(w: Word, b: u8) -> Word {
    zero(w ^ (LOW * Word::from(b)))
}

/// Bytes of `w` that are zero.
fn zero(w: Word) -> Word {
    w.wrapping_sub(LOW) & !w & HIGH
}

/// Bytes of `w` below `n` (`n` at most 128).
pub(crate) fn below(w: Word, n: u8) -> Word {
    w.wrapping_sub(LOW * Word::from(n)) & !w & HIGH
}

/// The index of the lowest byte flagged in `hits` (not 0), for a word read
/// with [`word`].
pub(crate) fn first(hits: Word) -> usize {
    (hits.trailing_zeros() / 8) as usize
}

/// The index of the first `b` in `s`, a byte at a time where words are
/// small (an MCU: the word loop would cost more flash than it saves time).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn find(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

/// The index of the first `b` in `s`: two words a step (one branch per
/// 16 bytes), then the word that ends `s`, overlapping bytes already
/// tested (they hold no `b`, so the first flag is still the first `b`).
#[cfg(target_pointer_width = "64")]
pub(crate) fn find(s: &[u8], b: u8) -> Option<usize> {
    let mut at = 0;
    while let Some(pair) = s.get(at..at + 2 * WORD) {
        let (low, high) = (eq(word(&pair[..WORD]), b), eq(word(&pair[WORD..]), b));
        if low | high != 0 {
            return Some(at + if low != 0 { first(low) } else { WORD + first(high) });
        }
        at += 2 * WORD;
    }
    if at == s.len() {
        return None;
    }
    let Some(last) = s.len().checked_sub(WORD) else {
        return s.iter().position(|&x| x == b);
    };
    if last > at {
        let hits = eq(word(&s[at..at + WORD]), b);
        if hits != 0 {
            return Some(at + first(hits));
        }
    }
    let hits = eq(word(&s[last..]), b);
    (hits != 0).then(|| last + first(hits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_first_match_at_every_position() {
        for len in 0..50 {
            for at in 0..=len {
                for fill in [0u8, b'a', 0x7f, 0xff, b'\n' + 1, b'\n' - 1] {
                    let mut s = std::vec![fill; len];
                    if at < len {
                        s[at] = b'\n';
                    }
                    // A second match later never hides the first.
                    if at + 3 < len {
                        s[at + 3] = b'\n';
                    }
                    let want = s.iter().position(|&b| b == b'\n');
                    assert_eq!(find(&s, b'\n'), want, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn word_tests_flag_every_byte_they_should() {
        for b in 0..=255u8 {
            let w = word(&[b'x', b'x', b'x', b, b'x', b'x', b'x', b'x'][..WORD]);
            assert_eq!(eq(w, b'"') != 0, b == b'"', "{b}");
            assert_eq!(below(w, 0x20) != 0, b < 0x20, "{b}");
            if b == b'"' || b < 0x20 {
                let hits = eq(w, b'"') | below(w, 0x20);
                assert_eq!(first(hits), 3, "{b}");
            }
        }
    }
}
