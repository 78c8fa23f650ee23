//! Error messages assembled from a few parts and written straight into the
//! reply, escaped, without `core::fmt` (whose machinery costs flash on MCUs
//! and whose `Arguments` is not `Send`).

use crate::wire::{Full, JsonOut};

/// One part of a message: text (escaped as written) or a decimal number.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    Text(&'a str),
    Num(u64),
}

impl<'a> From<&'a str> for Part<'a> {
    fn from(s: &'a str) -> Self {
        Part::Text(s)
    }
}

impl From<usize> for Part<'_> {
    fn from(n: usize) -> Self {
        Part::Num(n as u64)
    }
}

impl From<u64> for Part<'_> {
    fn from(n: u64) -> Self {
        Part::Num(n)
    }
}

/// The most parts a message has (`"the value of '", name, "' does not fit
/// the reply buffer (", OUT, " bytes)"`).
const MAX_PARTS: usize = 5;

/// A message: up to [`MAX_PARTS`] parts, written as one JSON string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Msg<'a> {
    parts: [Part<'a>; MAX_PARTS],
    len: u8,
}

impl<'a> Msg<'a> {
    /// Built by the `msg!` macro; more than [`MAX_PARTS`] parts do not compile.
    pub(crate) const fn new<const N: usize>(parts: [Part<'a>; N]) -> Self {
        assert!(N <= MAX_PARTS, "a message has at most 5 parts");
        let mut all = [Part::Num(0); MAX_PARTS];
        let mut i = 0;
        while i < N {
            all[i] = parts[i];
            i += 1;
        }
        Msg { parts: all, len: N as u8 }
    }

    /// The message as a quoted, escaped JSON string.
    pub(crate) fn write(&self, o: &mut JsonOut) -> Result<(), Full> {
        o.raw(b"\"")?;
        for part in &self.parts[..self.len.into()] {
            match *part {
                Part::Text(s) => o.escaped(s)?,
                Part::Num(n) => o.u64(n)?,
            }
        }
        o.raw(b"\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(m: Msg) -> heapless::String<128> {
        let mut buf = [0u8; 128];
        let mut o = JsonOut::new(&mut buf);
        m.write(&mut o).unwrap();
        core::str::from_utf8(o.as_bytes()).unwrap().try_into().unwrap()
    }

    #[test]
    fn parts_are_joined_escaped_and_quoted() {
        let name = "a\"b\n";
        assert_eq!(written(msg!("record '", name, "' not found")), r#""record 'a\"b\n' not found""#);
        assert_eq!(written(msg!("at most ", 4usize, " subscriptions")), r#""at most 4 subscriptions""#);
        assert_eq!(written(msg!("expected hello")), r#""expected hello""#);
        assert_eq!(written(msg!("a", 18446744073709551615u64, "b", "c", 0usize)), r#""a18446744073709551615bc0""#);
    }

    #[test]
    fn a_message_that_does_not_fit_is_full() {
        let mut buf = [0u8; 8];
        let mut o = JsonOut::new(&mut buf);
        assert_eq!(msg!("longer than eight").write(&mut o), Err(Full));
    }
}
