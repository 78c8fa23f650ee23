//! Reading `#[serde(…)]`, `#[aimx(…)]` and doc attributes.

use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, Meta, UnOp};

/// Serde attributes that change the JSON shape beyond names and skips.
const REFUSED: &[&str] = &[
    "tag",
    "content",
    "untagged",
    "flatten",
    "with",
    "serialize_with",
    "deserialize_with",
    "remote",
    "into",
    "from",
    "try_from",
    "getter",
];

/// What serde says about one item (container, field or variant).
#[derive(Default)]
pub struct Serde {
    pub rename: Option<String>,
    pub rename_all: Option<String>,
    pub skip: bool,
    pub transparent: bool,
}

pub fn serde(attrs: &[Attribute]) -> syn::Result<Serde> {
    let mut out = Serde::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match key.as_str() {
                "rename" | "rename_all" => {
                    // `rename = "x"`, or `rename(serialize = "x")`: the serialized name.
                    let value = if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::LitStr>()?.value()
                    } else {
                        let mut ser = None;
                        meta.parse_nested_meta(|inner| {
                            let v = inner.value()?.parse::<syn::LitStr>()?.value();
                            if inner.path.is_ident("serialize") {
                                ser = Some(v);
                            }
                            Ok(())
                        })?;
                        ser.ok_or_else(|| meta.error("give the serialized name"))?
                    };
                    if key == "rename" {
                        out.rename = Some(value);
                    } else {
                        out.rename_all = Some(value);
                    }
                }
                "skip" | "skip_serializing" => out.skip = true,
                "transparent" => out.transparent = true,
                k if REFUSED.contains(&k) => {
                    return Err(meta.error(format!(
                        "#[derive(Describe)] cannot describe #[serde({k})]; implement aimx::schema::Describe by hand"
                    )))
                }
                _ => {
                    // Anything else (default, bound, deny_unknown_fields, alias…) keeps
                    // the shape; skip its value if it has one.
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<Expr>()?;
                    } else if meta.input.peek(syn::token::Paren) {
                        meta.parse_nested_meta(|inner| {
                            if inner.input.peek(syn::Token![=]) {
                                inner.value()?.parse::<Expr>()?;
                            }
                            Ok(())
                        })?;
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// `#[aimx(unit = "…", min = N, max = N)]` and the doc comment.
#[derive(Default)]
pub struct About {
    pub doc: Option<String>,
    pub unit: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

pub fn about(attrs: &[Attribute]) -> syn::Result<About> {
    let mut out = About::default();
    let mut doc = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("doc") {
            if let Meta::NameValue(nv) = &attr.meta {
                if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value {
                    doc.push(s.value().trim().to_owned());
                }
            }
        } else if attr.path().is_ident("aimx") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("unit") {
                    out.unit = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                } else if meta.path.is_ident("min") || meta.path.is_ident("max") {
                    let number = json_number(&meta.value()?.parse::<Expr>()?)?;
                    *(if meta.path.is_ident("min") { &mut out.min } else { &mut out.max }) = Some(number);
                } else {
                    return Err(meta.error("expected unit = \"…\", min = N or max = N"));
                }
                Ok(())
            })?;
        }
    }
    let doc = doc.join(" ").trim().to_owned();
    out.doc = (!doc.is_empty()).then_some(doc);
    Ok(out)
}

/// A number literal, possibly negative, as JSON number text.
fn json_number(expr: &Expr) -> syn::Result<String> {
    let (negative, lit) = match expr {
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => (true, &**expr),
        other => (false, other),
    };
    let digits = match lit {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_digits().to_owned(),
        Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_digits().to_owned(),
        _ => return Err(syn::Error::new_spanned(expr, "expected a number literal")),
    };
    // base10_digits drops suffixes and underscores; Rust allows `1.` and `1e5`,
    // JSON wants a digit after the point.
    let digits = if digits.ends_with('.') { format!("{digits}0") } else { digits };
    Ok(if negative { format!("-{digits}") } else { digits })
}

/// A name after `#[serde(rename_all = rule)]`.
pub fn apply_rule(rule: Option<&str>, name: &str, is_variant: bool) -> syn::Result<String> {
    let Some(rule) = rule else { return Ok(name.to_owned()) };
    // Variant names are PascalCase, field names snake_case: split into words.
    let words: Vec<String> = if is_variant {
        let mut words = Vec::new();
        for c in name.chars() {
            if c.is_uppercase() || words.is_empty() {
                words.push(String::new());
            }
            words.last_mut().unwrap().push(c);
        }
        words.into_iter().map(|w| w.to_lowercase()).collect()
    } else {
        name.split('_').map(str::to_owned).collect()
    };
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    Ok(match rule {
        // Serde leaves field names' underscores alone in these two.
        "lowercase" if !is_variant => name.to_lowercase(),
        "UPPERCASE" if !is_variant => name.to_uppercase(),
        "lowercase" => words.concat(),
        "UPPERCASE" => words.concat().to_uppercase(),
        "PascalCase" => words.iter().map(|w| cap(w)).collect(),
        "camelCase" => {
            let pascal: String = words.iter().map(|w| cap(w)).collect();
            let mut c = pascal.chars();
            c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
        }
        "snake_case" => words.join("_"),
        "SCREAMING_SNAKE_CASE" => words.join("_").to_uppercase(),
        "kebab-case" => words.join("-"),
        "SCREAMING-KEBAB-CASE" => words.join("-").to_uppercase(),
        other => {
            return Err(syn::Error::new(proc_macro2::Span::call_site(), format!("unknown rename_all rule {other:?}")))
        }
    })
}
