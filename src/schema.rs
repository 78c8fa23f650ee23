//! What a record's value looks like, as `const` data in flash, so a host
//! tool can decode and edit values without being rebuilt with the firmware
//! (`record.schema`).
//!
//! A type describes itself by implementing [`Describe`], usually with
//! `#[derive(Describe)]` next to its serde derives; a record publishes the description with
//! [`Record::described`](crate::Record::described):
//!
//! ```
//! use aimx::schema::Describe;
//! use aimx::SpmcRing;
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize, Describe)]
//! struct Temperature {
//!     /// Degrees Celsius.
//!     #[aimx(unit = "°C", min = -40, max = 125)]
//!     celsius: f32,
//! }
//!
//! static TEMPERATURE: SpmcRing<Temperature, 8> = SpmcRing::new("sensor.temperature", "").described();
//! # let _ = &TEMPERATURE;
//! ```
//!
//! The description follows serde's data model as JSON shows it (field and
//! variant names after `#[serde(rename…)]`); the derive refuses serde
//! attributes that would change the JSON shape in ways it cannot describe.

use crate::wire::{Full, JsonOut};

pub use aimx_derive::Describe;

/// A type's description.
#[derive(Debug)]
pub struct Schema {
    /// The Rust type's name (`"Temperature"`, `"u8"`).
    pub name: &'static str,
    /// Its JSON shape.
    pub shape: Shape,
}

/// The JSON shape of a type.
#[derive(Debug)]
#[allow(missing_docs)]
pub enum Shape {
    Bool,
    /// An integer of `bits` bits, signed or not.
    Int {
        bits: u8,
        signed: bool,
    },
    /// A float of 32 or 64 bits.
    Float {
        bits: u8,
    },
    /// One character, as a one-character string.
    Char,
    /// A string of at most `max_len` bytes (`None`: unbounded).
    Str {
        max_len: Option<u32>,
    },
    /// `null` or the inner value.
    Option(&'static Schema),
    /// An array of at most `max_len` items (`None`: unbounded).
    Seq {
        items: &'static Schema,
        max_len: Option<u32>,
    },
    /// An array of exactly `len` items.
    Array {
        items: &'static Schema,
        len: u32,
    },
    /// An array of items of these shapes (a tuple or a tuple struct).
    Tuple(&'static [&'static Schema]),
    /// An object with these members.
    Struct(&'static [Field]),
    /// Shown as the inner value (a newtype struct).
    Newtype(&'static Schema),
    /// `null` (a unit or unit struct).
    Unit,
    /// One of these variants, externally tagged as serde does.
    Enum(&'static [Variant]),
}

/// A struct member.
#[derive(Debug)]
pub struct Field {
    /// The member's name in JSON.
    pub name: &'static str,
    /// Its type.
    pub schema: &'static Schema,
    /// What the firmware author says about it: doc comment, unit, range.
    pub about: About,
}

/// What the firmware author says about a field (all optional).
#[derive(Debug)]
pub struct About {
    /// The field's doc comment.
    pub doc: Option<&'static str>,
    /// Its unit (`#[aimx(unit = "°C")]`).
    pub unit: Option<&'static str>,
    /// Smallest value allowed, as JSON number text (`#[aimx(min = -40)]`).
    pub min: Option<&'static str>,
    /// Largest value allowed, as JSON number text (`#[aimx(max = 125)]`).
    pub max: Option<&'static str>,
}

impl About {
    /// Nothing said.
    pub const NONE: About = About { doc: None, unit: None, min: None, max: None };
}

/// An enum variant.
#[derive(Debug)]
pub struct Variant {
    /// The variant's name in JSON.
    pub name: &'static str,
    /// What it carries.
    pub shape: VariantShape,
}

/// What an enum variant carries.
#[derive(Debug)]
pub enum VariantShape {
    /// Nothing: the variant is the string `"Name"`.
    Unit,
    /// One value: `{"Name": value}`.
    Newtype(&'static Schema),
    /// Several: `{"Name": [a, b]}`.
    Tuple(&'static [&'static Schema]),
    /// Members: `{"Name": {"a": …}}`.
    Struct(&'static [Field]),
}

/// A type that can describe its JSON shape as `const` data.
pub trait Describe {
    /// The description, in flash.
    const SCHEMA: &'static Schema;
}

macro_rules! primitive {
    ($($t:ty => $shape:expr),* $(,)?) => {
        $(impl Describe for $t {
            const SCHEMA: &'static Schema = &Schema { name: stringify!($t), shape: $shape };
        })*
    };
}

primitive! {
    bool => Shape::Bool,
    u8 => Shape::Int { bits: 8, signed: false },
    u16 => Shape::Int { bits: 16, signed: false },
    u32 => Shape::Int { bits: 32, signed: false },
    u64 => Shape::Int { bits: 64, signed: false },
    u128 => Shape::Int { bits: 128, signed: false },
    i8 => Shape::Int { bits: 8, signed: true },
    i16 => Shape::Int { bits: 16, signed: true },
    i32 => Shape::Int { bits: 32, signed: true },
    i64 => Shape::Int { bits: 64, signed: true },
    i128 => Shape::Int { bits: 128, signed: true },
    f32 => Shape::Float { bits: 32 },
    f64 => Shape::Float { bits: 64 },
    char => Shape::Char,
    () => Shape::Unit,
}

impl<T: Describe> Describe for Option<T> {
    const SCHEMA: &'static Schema = &Schema { name: "Option", shape: Shape::Option(T::SCHEMA) };
}

impl<T: Describe, const N: usize> Describe for [T; N] {
    const SCHEMA: &'static Schema = &Schema { name: "array", shape: Shape::Array { items: T::SCHEMA, len: N as u32 } };
}

impl<const N: usize> Describe for heapless::String<N> {
    const SCHEMA: &'static Schema = &Schema { name: "String", shape: Shape::Str { max_len: Some(N as u32) } };
}

impl<T: Describe, const N: usize> Describe for heapless::Vec<T, N> {
    const SCHEMA: &'static Schema =
        &Schema { name: "Vec", shape: Shape::Seq { items: T::SCHEMA, max_len: Some(N as u32) } };
}

impl Describe for &'_ str {
    const SCHEMA: &'static Schema = &Schema { name: "str", shape: Shape::Str { max_len: None } };
}

macro_rules! tuple {
    ($($t:ident),+) => {
        impl<$($t: Describe),+> Describe for ($($t,)+) {
            const SCHEMA: &'static Schema = &Schema { name: "tuple", shape: Shape::Tuple(&[$($t::SCHEMA),+]) };
        }
    };
}
tuple!(A);
tuple!(A, B);
tuple!(A, B, C);
tuple!(A, B, C, D);

/// A schema pointer with identity equality, so [`Meta`](crate::record::Meta)
/// stays `Copy + Eq`.
#[derive(Debug, Clone, Copy)]
pub struct SchemaRef(pub &'static Schema);

impl PartialEq for SchemaRef {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.0, other.0)
    }
}

impl Eq for SchemaRef {}

/// Writes `schema` as JSON: `{"type":…, …}` (see the protocol document).
/// Recursion is bounded by how deeply the Rust type nests.
pub fn write(o: &mut JsonOut, schema: &Schema) -> Result<(), Full> {
    o.raw(b"{\"type\":\"")?;
    let kind: &str = match schema.shape {
        Shape::Bool => "bool",
        Shape::Int { .. } => "int",
        Shape::Float { .. } => "float",
        Shape::Char => "char",
        Shape::Str { .. } => "string",
        Shape::Option(_) => "option",
        Shape::Seq { .. } => "seq",
        Shape::Array { .. } => "array",
        Shape::Tuple(_) => "tuple",
        Shape::Struct(_) => "struct",
        Shape::Newtype(_) => "newtype",
        Shape::Unit => "unit",
        Shape::Enum(_) => "enum",
    };
    o.raw(kind.as_bytes())?;
    o.raw(b"\",\"name\":")?;
    o.str(schema.name)?;
    match schema.shape {
        Shape::Bool | Shape::Char | Shape::Unit => {}
        Shape::Int { bits, signed } => {
            o.raw(b",\"bits\":")?;
            o.u64(bits.into())?;
            o.raw(b",\"signed\":")?;
            o.bool(signed)?;
        }
        Shape::Float { bits } => {
            o.raw(b",\"bits\":")?;
            o.u64(bits.into())?;
        }
        Shape::Str { max_len } => write_max_len(o, max_len)?,
        Shape::Option(inner) | Shape::Newtype(inner) => {
            o.raw(b",\"inner\":")?;
            write(o, inner)?;
        }
        Shape::Seq { items, max_len } => {
            o.raw(b",\"items\":")?;
            write(o, items)?;
            write_max_len(o, max_len)?;
        }
        Shape::Array { items, len } => {
            o.raw(b",\"items\":")?;
            write(o, items)?;
            o.raw(b",\"len\":")?;
            o.u64(len.into())?;
        }
        Shape::Tuple(items) => {
            o.raw(b",\"items\":")?;
            write_list(o, items)?;
        }
        Shape::Struct(fields) => {
            o.raw(b",\"fields\":")?;
            write_fields(o, fields)?;
        }
        Shape::Enum(variants) => {
            o.raw(b",\"variants\":[")?;
            for (i, v) in variants.iter().enumerate() {
                o.raw(if i == 0 { b"{\"name\":" } else { b",{\"name\":" })?;
                o.str(v.name)?;
                match v.shape {
                    VariantShape::Unit => {}
                    VariantShape::Newtype(inner) => {
                        o.raw(b",\"inner\":")?;
                        write(o, inner)?;
                    }
                    VariantShape::Tuple(items) => {
                        o.raw(b",\"items\":")?;
                        write_list(o, items)?;
                    }
                    VariantShape::Struct(fields) => {
                        o.raw(b",\"fields\":")?;
                        write_fields(o, fields)?;
                    }
                }
                o.raw(b"}")?;
            }
            o.raw(b"]")?;
        }
    }
    o.raw(b"}")
}

fn write_max_len(o: &mut JsonOut, max_len: Option<u32>) -> Result<(), Full> {
    if let Some(n) = max_len {
        o.raw(b",\"max_len\":")?;
        o.u64(n.into())?;
    }
    Ok(())
}

fn write_list(o: &mut JsonOut, items: &[&Schema]) -> Result<(), Full> {
    o.raw(b"[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            o.raw(b",")?;
        }
        write(o, item)?;
    }
    o.raw(b"]")
}

fn write_fields(o: &mut JsonOut, fields: &[Field]) -> Result<(), Full> {
    o.raw(b"[")?;
    for (i, f) in fields.iter().enumerate() {
        o.raw(if i == 0 { b"{\"name\":" } else { b",{\"name\":" })?;
        o.str(f.name)?;
        o.raw(b",\"type\":")?;
        write(o, f.schema)?;
        let about = &f.about;
        for (key, text) in [(&b",\"doc\":"[..], about.doc), (b",\"unit\":", about.unit)] {
            if let Some(text) = text {
                o.raw(key)?;
                o.str(text)?;
            }
        }
        // Checked to be JSON numbers when the derive made them.
        for (key, number) in [(&b",\"min\":"[..], about.min), (b",\"max\":", about.max)] {
            if let Some(number) = number {
                o.raw(key)?;
                o.raw(number.as_bytes())?;
            }
        }
        o.raw(b"}")?;
    }
    o.raw(b"]")
}
