//! A `serde::Serializer` that writes JSON into a [`JsonOut`].
//!
//! Every shape of serde's data model has a JSON form here (the same as
//! `serde_json` uses), except maps whose keys are not strings: those are
//! refused with [`SerError::Refused`], never a panic.
//!
//! | serde shape | JSON |
//! |---|---|
//! | `char` | a one-character string |
//! | bytes | an array of numbers |
//! | `f32`/`f64` NaN or ±inf | `null` |
//! | unit, unit struct, `None` | `null` |
//! | unit variant | `"Variant"` |
//! | newtype / tuple / struct variant | `{"Variant":…}` |
//! | tuple, tuple struct, sequence | an array |
//! | map (string keys), struct | an object |

use core::fmt::{self, Display};

use serde::ser::{self, Serialize};

use super::float;
use crate::wire::out::{Full, JsonOut};

/// Why a value was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerError {
    /// The buffer ran out.
    Full,
    /// The value has no JSON form here; the text says why.
    Refused(&'static str),
}

impl Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerError::Full => f.write_str("the value does not fit the buffer"),
            SerError::Refused(why) => f.write_str(why),
        }
    }
}

impl core::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: Display>(_msg: T) -> Self {
        SerError::Refused("the value's Serialize implementation reported an error")
    }
}

impl From<Full> for SerError {
    fn from(_: Full) -> Self {
        SerError::Full
    }
}

/// Writes `value` as JSON. On error the output may hold a partial value;
/// the caller truncates.
pub fn to_json<T: Serialize + ?Sized>(out: &mut JsonOut, value: &T) -> Result<(), SerError> {
    value.serialize(Serializer { out })
}

/// The serializer: a borrowed writer.
pub struct Serializer<'o, 'b> {
    out: &'o mut JsonOut<'b>,
}

/// Digits of a `u128`, the widest integer serde has.
fn write_u128(out: &mut JsonOut, n: u128) -> Result<(), Full> {
    if let Ok(small) = u64::try_from(n) {
        return out.u64(small);
    }
    let mut digits = [0u8; 39];
    let mut i = digits.len();
    let mut n = n;
    while n > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.raw(&digits[i..])
}

fn write_i64(out: &mut JsonOut, n: i64) -> Result<(), Full> {
    if n < 0 {
        out.raw(b"-")?;
    }
    out.u64(n.unsigned_abs())
}

fn write_f32(out: &mut JsonOut, v: f32) -> Result<(), Full> {
    if !v.is_finite() {
        return out.raw(b"null");
    }
    let mut buf = [0u8; float::F32_MAX_LEN];
    let n = float::write_f32(v, &mut buf);
    out.raw(&buf[..n])
}

fn write_f64(out: &mut JsonOut, v: f64) -> Result<(), Full> {
    if !v.is_finite() {
        return out.raw(b"null");
    }
    // `f64` goes through `core`'s shortest formatter: only firmware with
    // `f64` records links it. `{:?}` keeps `.0` and uses an exponent for
    // very large or small magnitudes; both are JSON.
    fmt::Write::write_fmt(out, format_args!("{v:?}")).map_err(|_| Full)
}

fn write_char(out: &mut JsonOut, c: char) -> Result<(), Full> {
    out.str(c.encode_utf8(&mut [0; 4]))
}

/// A sequence or map being written; `close` is what ends it (`]`, `}`, or
/// `]}` / `}}` for a variant wrapped in `{"Variant":…}`).
pub struct Compound<'o, 'b> {
    out: &'o mut JsonOut<'b>,
    first: bool,
    close: &'static [u8],
}

impl<'o, 'b> Compound<'o, 'b> {
    fn open(out: &'o mut JsonOut<'b>, open: &'static [u8], close: &'static [u8]) -> Result<Self, SerError> {
        out.raw(open)?;
        Ok(Compound { out, first: true, close })
    }

    fn comma(&mut self) -> Result<(), Full> {
        if !self.first {
            self.out.raw(b",")?;
        }
        self.first = false;
        Ok(())
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.comma()?;
        value.serialize(Serializer { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerError> {
        self.comma()?;
        self.out.str(key)?;
        self.out.raw(b":")?;
        value.serialize(Serializer { out: self.out })
    }

    fn end(self) -> Result<(), SerError> {
        self.out.raw(self.close)?;
        Ok(())
    }
}

/// Writes `{"variant":` before a variant's content.
fn variant_open(out: &mut JsonOut, variant: &str) -> Result<(), Full> {
    out.raw(b"{")?;
    out.str(variant)?;
    out.raw(b":")
}

impl<'o, 'b> ser::Serializer for Serializer<'o, 'b> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Compound<'o, 'b>;
    type SerializeTuple = Compound<'o, 'b>;
    type SerializeTupleStruct = Compound<'o, 'b>;
    type SerializeTupleVariant = Compound<'o, 'b>;
    type SerializeMap = Compound<'o, 'b>;
    type SerializeStruct = Compound<'o, 'b>;
    type SerializeStructVariant = Compound<'o, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        Ok(self.out.bool(v)?)
    }
    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        Ok(write_i64(self.out, v.into())?)
    }
    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        Ok(write_i64(self.out, v.into())?)
    }
    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        Ok(write_i64(self.out, v.into())?)
    }
    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        Ok(write_i64(self.out, v)?)
    }
    fn serialize_i128(self, v: i128) -> Result<(), SerError> {
        if v < 0 {
            self.out.raw(b"-")?;
        }
        Ok(write_u128(self.out, v.unsigned_abs())?)
    }
    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        Ok(self.out.u64(v.into())?)
    }
    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        Ok(self.out.u64(v.into())?)
    }
    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        Ok(self.out.u64(v.into())?)
    }
    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        Ok(self.out.u64(v)?)
    }
    fn serialize_u128(self, v: u128) -> Result<(), SerError> {
        Ok(write_u128(self.out, v)?)
    }
    fn serialize_f32(self, v: f32) -> Result<(), SerError> {
        Ok(write_f32(self.out, v)?)
    }
    fn serialize_f64(self, v: f64) -> Result<(), SerError> {
        Ok(write_f64(self.out, v)?)
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        Ok(write_char(self.out, v)?)
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        Ok(self.out.str(v)?)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        let mut seq = Compound::open(self.out, b"[", b"]")?;
        for b in v {
            seq.comma()?;
            seq.out.u64((*b).into())?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), SerError> {
        Ok(self.out.raw(b"null")?)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        Ok(self.out.raw(b"null")?)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), SerError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), SerError> {
        Ok(self.out.str(variant)?)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        variant_open(self.out, variant)?;
        value.serialize(Serializer { out: self.out })?;
        Ok(self.out.raw(b"}")?)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'o, 'b>, SerError> {
        Compound::open(self.out, b"[", b"]")
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'o, 'b>, SerError> {
        Compound::open(self.out, b"[", b"]")
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'o, 'b>, SerError> {
        Compound::open(self.out, b"[", b"]")
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'o, 'b>, SerError> {
        variant_open(self.out, variant)?;
        Compound::open(self.out, b"[", b"]}")
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'o, 'b>, SerError> {
        Compound::open(self.out, b"{", b"}")
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'o, 'b>, SerError> {
        Compound::open(self.out, b"{", b"}")
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'o, 'b>, SerError> {
        variant_open(self.out, variant)?;
        Compound::open(self.out, b"{", b"}}")
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), SerError> {
        Ok(self.out.str_fmt(format_args!("{value}"))?)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.comma()?;
        key.serialize(KeySerializer { out: self.out })?;
        Ok(self.out.raw(b":")?)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        value.serialize(Serializer { out: self.out })
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), SerError> {
        Compound::end(self)
    }
}

/// Map keys: JSON keys are strings, so only string-like keys are taken.
struct KeySerializer<'o, 'b> {
    out: &'o mut JsonOut<'b>,
}

const KEY_NOT_STRING: SerError = SerError::Refused("map keys must be strings in JSON");

macro_rules! refuse_keys {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), SerError> {
            Err(KEY_NOT_STRING)
        })*
    };
}

impl ser::Serializer for KeySerializer<'_, '_> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = ser::Impossible<(), SerError>;
    type SerializeTuple = ser::Impossible<(), SerError>;
    type SerializeTupleStruct = ser::Impossible<(), SerError>;
    type SerializeTupleVariant = ser::Impossible<(), SerError>;
    type SerializeMap = ser::Impossible<(), SerError>;
    type SerializeStruct = ser::Impossible<(), SerError>;
    type SerializeStructVariant = ser::Impossible<(), SerError>;

    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        Ok(self.out.str(v)?)
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        Ok(write_char(self.out, v)?)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), SerError> {
        Ok(self.out.str(variant)?)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), SerError> {
        Ok(self.out.str_fmt(format_args!("{value}"))?)
    }

    refuse_keys! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, SerError> {
        Err(KEY_NOT_STRING)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(KEY_NOT_STRING)
    }
}

#[cfg(test)]
mod tests;
