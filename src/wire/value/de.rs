//! A `serde::Deserializer` over JSON text the scanner has validated.
//!
//! Strings are unescaped in place, inside the text they came from (an
//! escape is never shorter than what it decodes to), so a string may be as
//! long as the line and no scratch buffer is needed. The text is consumed
//! front to back: each string is split off the rest before it is lent out.
//! Values nobody asked for are skipped by the scanner, whatever their size.
//!
//! `f32` goes through the crate's own exact parser; `f64` through `core`'s
//! (linked only when some record holds an `f64`). Non-finite results are
//! refused unless the record opted in ([`Deserializer::new`]).

use core::fmt::Display;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::float::{parse_f32, FloatError};
use crate::wire::{scan, utf8};

/// Why a value did not decode; the text is sent back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeError(pub &'static str);

impl Display for DeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

impl core::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: Display>(_msg: T) -> Self {
        DeError("value does not match the record's type")
    }
    fn invalid_type(_unexp: de::Unexpected, _exp: &dyn de::Expected) -> Self {
        DeError("value has the wrong JSON type for the record")
    }
    fn invalid_value(_unexp: de::Unexpected, _exp: &dyn de::Expected) -> Self {
        DeError("value is out of range for the record's type")
    }
    fn invalid_length(_len: usize, _exp: &dyn de::Expected) -> Self {
        DeError("value has the wrong number of elements")
    }
    fn unknown_variant(_variant: &str, _expected: &'static [&'static str]) -> Self {
        DeError("unknown enum variant")
    }
    fn unknown_field(_field: &str, _expected: &'static [&'static str]) -> Self {
        DeError("unknown field")
    }
    fn missing_field(_field: &'static str) -> Self {
        DeError("a field is missing")
    }
    fn duplicate_field(_field: &'static str) -> Self {
        DeError("a field appears twice")
    }
}

const EXPECTED_VALUE: DeError = DeError("malformed JSON value");

/// Decodes `json` (one validated JSON value, whitespace around allowed)
/// into `T`, unescaping its strings in place. `non_finite`: `null` reads
/// as NaN and out-of-range numbers as infinities, instead of errors.
pub fn from_slice<T: de::DeserializeOwned>(json: &mut [u8], non_finite: bool) -> Result<T, DeError> {
    let mut de = Deserializer::new(json, non_finite);
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The text of `quoted`, exactly one JSON string (quotes included),
/// unescaped in place.
pub(crate) fn unquote(quoted: &mut [u8]) -> Result<&str, DeError> {
    let [b'"', body @ .., b'"'] = quoted else { return Err(DeError("expected a string")) };
    let n = scan::unescape_in_place(body).ok_or(DeError("invalid escape in a string"))?;
    utf8::str(&body[..n]).ok_or(DeError("string is not valid UTF-8"))
}

/// The deserializer: what is left of the text.
pub struct Deserializer<'de> {
    rest: &'de mut [u8],
    non_finite: bool,
}

impl<'de> Deserializer<'de> {
    /// A deserializer over `json`, validated by [`scan::validate`].
    pub fn new(json: &'de mut [u8], non_finite: bool) -> Self {
        Deserializer { rest: json, non_finite }
    }

    /// Whitespace to the end, or an error.
    pub fn end(&mut self) -> Result<(), DeError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(DeError("trailing characters after the value")),
        }
    }

    /// The next non-whitespace byte, which stays unread.
    pub fn peek(&mut self) -> Option<u8> {
        let n = scan::skip_ws(self.rest, 0);
        self.split(n);
        self.rest.first().copied()
    }

    /// Splits the first `n` bytes off the rest.
    fn split(&mut self, n: usize) -> &'de mut [u8] {
        let rest = core::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut(n.min(rest.len()));
        self.rest = tail;
        head
    }

    /// Consumes `byte` (after whitespace) or fails.
    fn expect(&mut self, byte: u8) -> Result<(), DeError> {
        if self.peek() == Some(byte) {
            self.split(1);
            Ok(())
        } else {
            Err(EXPECTED_VALUE)
        }
    }

    /// Consumes the literal `word`, if it is next.
    fn literal(&mut self, word: &[u8]) -> bool {
        self.peek();
        if self.rest.starts_with(word) {
            self.split(word.len());
            true
        } else {
            false
        }
    }

    /// Walks the members of the next value, an object: `f` gets each key,
    /// unescaped, and must consume the member's value.
    /// (`f` is a `dyn`: one copy of the walk serves every caller.)
    pub fn members(&mut self, f: &mut dyn FnMut(&'de str, &mut Self) -> Result<(), DeError>) -> Result<(), DeError> {
        self.expect(b'{')?;
        let mut first = true;
        while self.peek() != Some(b'}') {
            if !first {
                self.expect(b',')?;
            }
            first = false;
            let key = self.str()?;
            self.expect(b':')?;
            f(key, self)?;
        }
        self.expect(b'}')
    }

    /// Walks the members of the next value, an object: the raw value of
    /// each member named in `keys` goes to the slot of the same index (the
    /// last of a repeated member counts); the others are skipped.
    pub fn slots(&mut self, keys: &[&str], slots: &mut [Option<&'de mut [u8]>]) -> Result<(), DeError> {
        self.members(&mut |key, de| {
            let raw = de.raw_value()?;
            if let Some(i) = keys.iter().position(|k| *k == key) {
                slots[i] = Some(raw);
            }
            Ok(())
        })
    }

    /// The next value's raw text, split off unread (for values decoded
    /// later, like `record.set`'s `value`).
    pub fn raw_value(&mut self) -> Result<&'de mut [u8], DeError> {
        self.peek().ok_or(EXPECTED_VALUE)?;
        let end = scan::value_end(self.rest, 0);
        Ok(self.split(end))
    }

    /// Skips the next value, whatever its size.
    pub fn skip_value(&mut self) -> Result<(), DeError> {
        self.raw_value().map(drop)
    }

    /// The next value as a string, unescaped in place.
    pub fn str(&mut self) -> Result<&'de str, DeError> {
        if self.peek() != Some(b'"') {
            return Err(DeError("expected a string"));
        }
        let end = scan::value_end(self.rest, 0);
        unquote(self.split(end))
    }

    /// The next value's number text.
    fn number(&mut self) -> Result<&'de [u8], DeError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(DeError("expected a number")),
        }
        // Validated text: the number's characters run to its end. An MCU
        // asks the validator (no second number scanner in its flash); a
        // host counts them inline (no call on a hot path).
        #[cfg(target_pointer_width = "64")]
        let n = self.rest.iter().take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')).count();
        #[cfg(not(target_pointer_width = "64"))]
        let n = scan::value_end(self.rest, 0);
        Ok(self.split(n))
    }

    /// The next value as an integer of any width, with its sign.
    fn integer(&mut self) -> Result<(bool, u128), DeError> {
        let text = self.number()?;
        let (negative, digits) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(DeError("expected an integer"));
        }
        let mut n: u128 = 0;
        for &d in digits {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((d - b'0') as u128))
                .ok_or(DeError("integer out of range"))?;
        }
        Ok((negative, n))
    }

    /// The next value as a `u64` (request ids, sizes).
    pub fn u64(&mut self) -> Result<u64, DeError> {
        match self.integer()? {
            (false, n) => u64::try_from(n).map_err(|_| DeError("integer out of range")),
            (true, 0) => Ok(0),
            (true, _) => Err(DeError("expected an unsigned integer")),
        }
    }

    /// The next value as a `bool`.
    pub fn bool(&mut self) -> Result<bool, DeError> {
        if self.literal(b"true") {
            Ok(true)
        } else if self.literal(b"false") {
            Ok(false)
        } else {
            Err(DeError("expected true or false"))
        }
    }

    /// An integer for `visitor`. `wide`: the visitor may take 128-bit
    /// integers (`deserialize_any`, `u128`, `i128`); the others are refused
    /// beyond 64 bits here, with the error serde's default `visit_u128`
    /// would give, but without formatting the number (which links
    /// `core::fmt` and 128-bit formatting, ~2.5 KB on a Cortex-M).
    fn visit_integer<V: Visitor<'de>>(&mut self, visitor: V, wide: bool) -> Result<V::Value, DeError> {
        let beyond_64_bits = |visitor: V| Err(de::Error::invalid_type(de::Unexpected::Other("integer"), &visitor));
        match self.integer()? {
            (false, n) => match u64::try_from(n) {
                Ok(n) => visitor.visit_u64(n),
                Err(_) if wide => visitor.visit_u128(n),
                Err(_) => beyond_64_bits(visitor),
            },
            // Negative: i64 where it fits (i64::MIN included; serde's i64
            // visitor takes no i128), else i128.
            (true, n) => {
                let v = 0i128.checked_sub_unsigned(n).ok_or(DeError("integer out of range"))?;
                match i64::try_from(v) {
                    Ok(v) => visitor.visit_i64(v),
                    Err(_) if wide => visitor.visit_i128(v),
                    Err(_) => beyond_64_bits(visitor),
                }
            }
        }
    }

    /// `null` as NaN where allowed.
    fn null_float(&mut self) -> Result<Option<()>, DeError> {
        if !self.literal(b"null") {
            return Ok(None);
        }
        if self.non_finite {
            Ok(Some(()))
        } else {
            Err(DeError("null is not a number (the record does not take non-finite values)"))
        }
    }

    fn finite_or_allowed<F: Into<f64> + Copy>(&self, v: F) -> Result<F, DeError> {
        if self.non_finite || v.into().is_finite() {
            Ok(v)
        } else {
            Err(DeError("number out of range for the record's float type"))
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.peek() {
            Some(b'n') => self.deserialize_unit(visitor),
            Some(b't' | b'f') => self.deserialize_bool(visitor),
            Some(b'"') => self.deserialize_str(visitor),
            Some(b'[') => self.deserialize_seq(visitor),
            Some(b'{') => self.deserialize_map(visitor),
            Some(b'-' | b'0'..=b'9') => {
                let is_float = scan::value_end(self.rest, 0);
                if self.rest[..is_float].iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                    self.deserialize_f64(visitor)
                } else {
                    self.visit_integer(visitor, true)
                }
            }
            _ => Err(EXPECTED_VALUE),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_bool(self.bool()?)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, true)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, false)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_integer(visitor, true)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.null_float()?.is_some() {
            return visitor.visit_f32(f32::NAN);
        }
        let text = self.number()?;
        let v = match parse_f32(text) {
            Ok(v) => v,
            Err(FloatError::OutOfRange) if self.non_finite => {
                if text.first() == Some(&b'-') {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                }
            }
            Err(FloatError::OutOfRange) => return Err(DeError("number out of range for the record's float type")),
            Err(FloatError::TooPrecise) => return Err(DeError("number has too many digits to round exactly")),
            Err(FloatError::Syntax) => return Err(DeError("expected a number")),
        };
        visitor.visit_f32(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.null_float()?.is_some() {
            return visitor.visit_f64(f64::NAN);
        }
        let text = self.number()?;
        let v: f64 = utf8::str(text).and_then(|t| t.parse().ok()).ok_or(DeError("expected a number"))?;
        visitor.visit_f64(self.finite_or_allowed(v)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.str()?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(DeError("expected a one-character string")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.str()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.peek() {
            Some(b'"') => visitor.visit_borrowed_bytes(self.str()?.as_bytes()),
            Some(b'[') => {
                let array = self.raw_value()?;
                let n = bytes_in_place(array)?;
                let array: &'de [u8] = array;
                visitor.visit_borrowed_bytes(&array[..n])
            }
            _ => Err(DeError("expected bytes as an array of numbers")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.literal(b"null") {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.literal(b"null") {
            visitor.visit_unit()
        } else {
            Err(DeError("expected null"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.peek() != Some(b'[') {
            return Err(DeError("expected an array"));
        }
        self.split(1);
        let value = visitor.visit_seq(Elements { de: self, first: true })?;
        self.expect(b']').map_err(|_| DeError("value has the wrong number of elements"))?;
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.peek() != Some(b'{') {
            return Err(DeError("expected an object"));
        }
        self.split(1);
        let value = visitor.visit_map(Members { de: self, first: true })?;
        self.expect(b'}')?;
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.peek() {
            Some(b'"') => visitor.visit_enum(self.str()?.into_deserializer()),
            Some(b'{') => {
                self.split(1);
                let value = visitor.visit_enum(Variant { de: self })?;
                self.expect(b'}').map_err(|_| DeError("an enum object has exactly one member"))?;
                Ok(value)
            }
            _ => Err(DeError("expected an enum variant")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.skip_value()?;
        visitor.visit_unit()
    }
}

/// Decodes a JSON array of numbers 0..=255 into its own first bytes (each
/// element's text is at least two bytes, so writing never overtakes
/// reading); returns how many.
fn bytes_in_place(array: &mut [u8]) -> Result<usize, DeError> {
    const BAD: DeError = DeError("expected bytes as an array of numbers 0 to 255");
    let ws = |a: &[u8], mut i: usize| {
        while matches!(a.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i
    };
    let (mut i, mut n) = (ws(array, 1), 0);
    while array.get(i) != Some(&b']') {
        if n > 0 {
            if array.get(i) != Some(&b',') {
                return Err(BAD);
            }
            i = ws(array, i + 1);
        }
        let start = i;
        let mut byte: u32 = 0;
        while let Some(d @ b'0'..=b'9') = array.get(i).copied() {
            byte = byte * 10 + (d - b'0') as u32;
            if byte > 255 || i - start > 3 {
                return Err(BAD);
            }
            i += 1;
        }
        if i == start {
            return Err(BAD);
        }
        array[n] = byte as u8;
        n += 1;
        i = ws(array, i);
    }
    Ok(n)
}

/// Elements of an array.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        if self.de.peek() == Some(b']') {
            return Ok(None);
        }
        if !self.first {
            self.de.expect(b',')?;
        }
        self.first = false;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// Members of an object.
struct Members<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Members<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        if self.de.peek() == Some(b'}') {
            return Ok(None);
        }
        if !self.first {
            self.de.expect(b',')?;
        }
        self.first = false;
        if self.de.peek() != Some(b'"') {
            return Err(EXPECTED_VALUE);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.de.expect(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

/// `{"Variant": content}`, read from just after the `{`.
struct Variant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'a, 'de> de::EnumAccess<'de> for Variant<'a, 'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), DeError> {
        let name = seed.deserialize(&mut *self.de)?;
        self.de.expect(b':')?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        de::Deserialize::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

#[cfg(test)]
mod tests;
