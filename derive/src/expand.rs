//! The generated `impl Describe`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, GenericParam};

use crate::attrs::{self, apply_rule};

pub fn describe(input: &DeriveInput) -> syn::Result<TokenStream> {
    let container = attrs::serde(&input.attrs)?;
    let ident = &input.ident;
    let name = ident.to_string();
    let rule = container.rename_all.as_deref();
    let shape = match &input.data {
        Data::Struct(s) if container.transparent => {
            let field = s.fields.iter().find(|f| !attrs::serde(&f.attrs).is_ok_and(|a| a.skip));
            let field = field.ok_or_else(|| syn::Error::new_spanned(ident, "transparent needs one field"))?;
            let ty = &field.ty;
            quote!(::aimx::schema::Shape::Newtype(<#ty as ::aimx::schema::Describe>::SCHEMA))
        }
        Data::Struct(s) => match &s.fields {
            Fields::Named(_) => {
                let fields = named_fields(&s.fields, rule)?;
                quote!(::aimx::schema::Shape::Struct(&[#(#fields),*]))
            }
            Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                let ty = &u.unnamed[0].ty;
                quote!(::aimx::schema::Shape::Newtype(<#ty as ::aimx::schema::Describe>::SCHEMA))
            }
            Fields::Unnamed(u) => {
                let tys = u.unnamed.iter().map(|f| &f.ty);
                quote!(::aimx::schema::Shape::Tuple(&[#(<#tys as ::aimx::schema::Describe>::SCHEMA),*]))
            }
            Fields::Unit => quote!(::aimx::schema::Shape::Unit),
        },
        Data::Enum(e) => {
            let mut variants = Vec::new();
            for v in &e.variants {
                let a = attrs::serde(&v.attrs)?;
                if a.skip {
                    continue;
                }
                let vname = match a.rename {
                    Some(n) => n,
                    None => apply_rule(rule, &v.ident.to_string(), true)?,
                };
                let field_rule = a.rename_all.as_deref();
                let shape = match &v.fields {
                    Fields::Unit => quote!(::aimx::schema::VariantShape::Unit),
                    Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                        let ty = &u.unnamed[0].ty;
                        quote!(::aimx::schema::VariantShape::Newtype(<#ty as ::aimx::schema::Describe>::SCHEMA))
                    }
                    Fields::Unnamed(u) => {
                        let tys = u.unnamed.iter().map(|f| &f.ty);
                        quote!(::aimx::schema::VariantShape::Tuple(&[#(<#tys as ::aimx::schema::Describe>::SCHEMA),*]))
                    }
                    Fields::Named(_) => {
                        let fields = named_fields(&v.fields, field_rule)?;
                        quote!(::aimx::schema::VariantShape::Struct(&[#(#fields),*]))
                    }
                };
                variants.push(quote!(::aimx::schema::Variant { name: #vname, shape: #shape }));
            }
            quote!(::aimx::schema::Shape::Enum(&[#(#variants),*]))
        }
        Data::Union(_) => return Err(syn::Error::new_spanned(ident, "serde does not derive for unions")),
    };
    let mut generics = input.generics.clone();
    for param in &mut generics.params {
        if let GenericParam::Type(t) = param {
            t.bounds.push(syn::parse_quote!(::aimx::schema::Describe));
        }
    }
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    Ok(quote! {
        impl #impl_g ::aimx::schema::Describe for #ident #ty_g #where_g {
            const SCHEMA: &'static ::aimx::schema::Schema =
                &::aimx::schema::Schema { name: #name, shape: #shape };
        }
    })
}

/// One `Field { … }` per field serde writes.
fn named_fields(fields: &Fields, rule: Option<&str>) -> syn::Result<Vec<TokenStream>> {
    let mut out = Vec::new();
    for f in fields {
        let a = attrs::serde(&f.attrs)?;
        if a.skip {
            continue;
        }
        let ident = f.ident.as_ref().expect("named fields have names").to_string();
        let ident = ident.strip_prefix("r#").unwrap_or(&ident).to_owned();
        let fname = match a.rename {
            Some(n) => n,
            None => apply_rule(rule, &ident, false)?,
        };
        let about = attrs::about(&f.attrs)?;
        let opt = |v: Option<String>| match v {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        let (doc, unit, min, max) = (opt(about.doc), opt(about.unit), opt(about.min), opt(about.max));
        let ty = &f.ty;
        out.push(quote!(::aimx::schema::Field {
            name: #fname,
            schema: <#ty as ::aimx::schema::Describe>::SCHEMA,
            about: ::aimx::schema::About { doc: #doc, unit: #unit, min: #min, max: #max },
        }));
    }
    Ok(out)
}
