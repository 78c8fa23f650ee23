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

/// Where an argument goes in a message's text (a byte no message contains).
const ARG: u8 = 1;

/// The most arguments a message has (`"the value of '", name, "' does not
/// fit the reply buffer (", OUT, " bytes)"`).
const MAX_ARGS: usize = 2;

/// A message: its literal text, joined at compile time with a mark for each
/// argument, and up to [`MAX_ARGS`] arguments, written as one JSON string.
/// Small (a `&str` and two parts) so that handing it back up through the
/// handlers costs little; a message of text alone is a `&'static str`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Msg<'a> {
    text: &'static str,
    args: [Part<'a>; MAX_ARGS],
}

impl<'a> Msg<'a> {
    /// A message of text alone (built by the `msg!` macro, as are the next two).
    #[inline(never)]
    pub(crate) const fn text(text: &'static str) -> Self {
        Msg { text, args: [Part::Num(0); MAX_ARGS] }
    }

    /// A message with one argument.
    #[inline(never)]
    pub(crate) const fn one(text: &'static str, a: Part<'a>) -> Self {
        Msg { text, args: [a, Part::Num(0)] }
    }

    /// A message with two arguments.
    #[inline(never)]
    pub(crate) const fn two(text: &'static str, a: Part<'a>, b: Part<'a>) -> Self {
        Msg { text, args: [a, b] }
    }

    /// The message as a quoted, escaped JSON string.
    pub(crate) fn write(&self, o: &mut JsonOut) -> Result<(), Full> {
        o.raw(b"\"")?;
        let (mut rest, mut args) = (self.text, self.args.iter());
        while let Some(at) = rest.bytes().position(|b| b == ARG) {
            // `get`, not indexing: `at` is a char boundary (ARG is ASCII),
            // and indexing would link the panic path for one that is not.
            o.escaped(rest.get(..at).unwrap_or_default())?;
            match args.next() {
                Some(Part::Text(s)) => o.escaped(s)?,
                Some(Part::Num(n)) => o.u64(*n)?,
                None => {}
            }
            rest = rest.get(at + 1..).unwrap_or_default();
        }
        o.escaped(rest)?;
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
        let (big, zero) = (u64::MAX, 0usize);
        assert_eq!(written(msg!("a", big, "b", "c", zero)), r#""a18446744073709551615bc0""#);
        let (speaks, asked) = ("server speaks 1.x, client asked for ", "2.0");
        assert_eq!(written(msg!(speaks, asked)), r#""server speaks 1.x, client asked for 2.0""#);
        let n = 7u64;
        assert_eq!(written(msg!("x", n)), r#""x7""#);
    }

    #[test]
    fn a_message_that_does_not_fit_is_full() {
        let mut buf = [0u8; 8];
        let mut o = JsonOut::new(&mut buf);
        assert_eq!(msg!("longer than eight").write(&mut o), Err(Full));
    }
}
