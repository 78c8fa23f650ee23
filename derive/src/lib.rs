//! `#[derive(Describe)]`: implements `aimx::schema::Describe` for a struct
//! or enum, following the names serde gives it in JSON.
//!
//! Field attributes: `#[aimx(unit = "°C", min = -40, max = 125)]`; a
//! field's doc comment becomes its `doc`. Serde attributes that rename
//! (`rename`, `rename_all`) or skip (`skip`, `skip_serializing`) are
//! followed; those that change the JSON shape in other ways (`tag`,
//! `untagged`, `flatten`, `with`…) are refused with a compile error rather
//! than described wrongly.

mod attrs;
mod expand;

use proc_macro::TokenStream;

#[proc_macro_derive(Describe, attributes(aimx))]
pub fn derive_describe(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::describe(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}
