//! `aimx schema NAME`, and the check `aimx set` makes with the schema
//! before sending: a value of the wrong shape is refused here, with the
//! path of the member that is wrong, instead of a bare `validation_error`.

use aimx_client::Client;
use serde_json::Value;

use crate::fail::Fail;
use crate::show;

pub async fn run(client: &Client, name: &str, json: bool) -> Result<(), Fail> {
    let schema = client.schema(name).await?;
    if schema.is_null() {
        eprintln!("'{name}' publishes no schema (the firmware did not call .described() on it)");
    }
    println!("{}", show::json(&schema, json));
    Ok(())
}

/// The record's schema, or `None` when it has none or the server is older
/// and does not know `record.schema` (then the server checks alone).
pub async fn fetch(client: &Client, name: &str) -> Result<Option<Value>, Fail> {
    match client.schema(name).await {
        Ok(Value::Null) => Ok(None),
        Ok(schema) => Ok(Some(schema)),
        // `method_not_found` (an older server), `not_found` and the like:
        // the set itself goes ahead and the server has the last word.
        Err(aimx_client::Error::Server(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether `value` fits `schema`; the error names the member (`.a[2].b`).
pub fn check(schema: &Value, value: &Value) -> Result<(), String> {
    check_at(schema, value, &mut String::new())
}

fn check_at(schema: &Value, value: &Value, path: &mut String) -> Result<(), String> {
    let fail = |path: &str, what: String| Err(format!("{}: {what}", shown(path)));
    let kind = schema["type"].as_str().unwrap_or("");
    let type_name = schema["name"].as_str().unwrap_or(kind);
    match kind {
        "bool" if value.is_boolean() => Ok(()),
        "int" => check_int(schema, value).or_else(|e| fail(path, e)),
        "float" => match value.as_f64() {
            Some(v) if schema["bits"] == 32 && v.abs() > f64::from(f32::MAX) => {
                fail(path, format!("{v} is out of range for an f32"))
            }
            Some(_) => Ok(()),
            None => fail(path, format!("expected a number ({type_name}), got {value}")),
        },
        "char" if value.as_str().is_some_and(|s| s.chars().count() == 1) => Ok(()),
        "string" => match value.as_str() {
            Some(s) => match schema["max_len"].as_u64() {
                Some(max) if s.len() as u64 > max => fail(path, format!("{} bytes, at most {max} fit", s.len())),
                _ => Ok(()),
            },
            None => fail(path, format!("expected a string, got {value}")),
        },
        "option" if value.is_null() => Ok(()),
        "option" | "newtype" => check_at(&schema["inner"], value, path),
        "unit" if value.is_null() => Ok(()),
        "seq" | "array" | "tuple" => check_array(schema, kind, value, path),
        "struct" => check_struct(&schema["fields"], value, path),
        "enum" => check_enum(schema, value, path),
        _ => fail(path, format!("expected {}, got {value}", describe(schema))),
    }
}

fn check_int(schema: &Value, value: &Value) -> Result<(), String> {
    let bits = schema["bits"].as_u64().unwrap_or(64).min(127) as u32;
    let signed = schema["signed"].as_bool().unwrap_or(true);
    let v: i128 = match (value.as_i64(), value.as_u64()) {
        (Some(v), _) => v.into(),
        (_, Some(v)) => v.into(),
        _ => return Err(format!("expected an integer ({}), got {value}", schema["name"].as_str().unwrap_or("int"))),
    };
    let (min, max) =
        if signed { (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1) } else { (0, (1i128 << bits) - 1) };
    if v < min || v > max {
        return Err(format!("{v} is out of range for {} ({min}..={max})", schema["name"].as_str().unwrap_or("int")));
    }
    Ok(())
}

fn check_array(schema: &Value, kind: &str, value: &Value, path: &mut String) -> Result<(), String> {
    let Some(items) = value.as_array() else {
        return Err(format!("{}: expected an array, got {value}", shown(path)));
    };
    let expected = match kind {
        "array" => schema["len"].as_u64(),
        "tuple" => schema["items"].as_array().map(|a| a.len() as u64),
        _ => None,
    };
    if expected.is_some_and(|n| n != items.len() as u64) {
        return Err(format!("{}: expected {} items, got {}", shown(path), expected.unwrap(), items.len()));
    }
    if let Some(max) = schema["max_len"].as_u64().filter(|&m| items.len() as u64 > m) {
        return Err(format!("{}: {} items, at most {max} fit", shown(path), items.len()));
    }
    for (i, item) in items.iter().enumerate() {
        let item_schema = if kind == "tuple" { &schema["items"][i] } else { &schema["items"] };
        let len = path.len();
        path.push_str(&format!("[{i}]"));
        check_at(item_schema, item, path)?;
        path.truncate(len);
    }
    Ok(())
}

fn check_struct(fields: &Value, value: &Value, path: &mut String) -> Result<(), String> {
    let (Some(fields), Some(members)) = (fields.as_array(), value.as_object()) else {
        return Err(format!("{}: expected an object, got {value}", shown(path)));
    };
    for key in members.keys() {
        if !fields.iter().any(|f| f["name"] == key.as_str()) {
            let known: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
            return Err(format!("{}: unknown member '{key}' (known: {})", shown(path), known.join(", ")));
        }
    }
    for f in fields {
        let name = f["name"].as_str().unwrap_or("");
        let len = path.len();
        path.push('.');
        path.push_str(name);
        match members.get(name) {
            // serde takes a missing Option member as None.
            None if f["type"]["type"] == "option" => {}
            None => return Err(format!("{path}: missing ({})", describe(&f["type"]))),
            Some(v) => {
                check_at(&f["type"], v, path)?;
                check_range(f, v, path)?;
            }
        }
        path.truncate(len);
    }
    Ok(())
}

/// The field's `min`/`max`, given by the firmware author.
fn check_range(field: &Value, value: &Value, path: &str) -> Result<(), String> {
    let Some(v) = value.as_f64() else { return Ok(()) };
    let unit = field["unit"].as_str().map(|u| format!(" {u}")).unwrap_or_default();
    if let Some(min) = field["min"].as_f64().filter(|&m| v < m) {
        return Err(format!("{path}: {v}{unit} is below the minimum {min}{unit}"));
    }
    if let Some(max) = field["max"].as_f64().filter(|&m| v > m) {
        return Err(format!("{path}: {v}{unit} is above the maximum {max}{unit}"));
    }
    Ok(())
}

fn check_enum(schema: &Value, value: &Value, path: &mut String) -> Result<(), String> {
    let variants = schema["variants"].as_array().cloned().unwrap_or_default();
    let names = || variants.iter().filter_map(|v| v["name"].as_str()).map(|n| format!("\"{n}\"")).collect::<Vec<_>>();
    let (name, payload) = match value {
        Value::String(s) => (s.as_str(), None),
        Value::Object(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().unwrap();
            (k.as_str(), Some(v))
        }
        _ => return Err(format!("{}: expected one of {}, got {value}", shown(path), names().join(", "))),
    };
    let Some(variant) = variants.iter().find(|v| v["name"] == name) else {
        return Err(format!("{}: expected one of {}, got \"{name}\"", shown(path), names().join(", ")));
    };
    let len = path.len();
    path.push('.');
    path.push_str(name);
    let result = match (payload, variant) {
        (None, v) if v.get("inner").is_none() && v.get("items").is_none() && v.get("fields").is_none() => Ok(()),
        (None, _) => Err(format!("{path}: this variant carries a value: {{\"{name}\": …}}")),
        (Some(p), v) if v.get("inner").is_some() => check_at(&v["inner"], p, path),
        (Some(p), v) if v.get("items").is_some() => {
            check_array(&serde_json::json!({"type": "tuple", "items": v["items"]}), "tuple", p, path)
        }
        (Some(p), v) if v.get("fields").is_some() => check_struct(&v["fields"], p, path),
        (Some(_), _) => Err(format!("{path}: this variant carries nothing: write it as \"{name}\"")),
    };
    path.truncate(len);
    result
}

/// Where in the value a problem is: the member path, or `value` for the whole.
fn shown(path: &str) -> &str {
    if path.is_empty() {
        "value"
    } else {
        path
    }
}

/// A short name for a schema: `f32`, `a string`, `an object`.
fn describe(schema: &Value) -> String {
    match schema["type"].as_str() {
        Some("int" | "float" | "bool" | "char") => schema["name"].as_str().unwrap_or("a number").to_owned(),
        Some("string") => "a string".into(),
        Some("struct") => "an object".into(),
        Some("seq" | "array" | "tuple") => "an array".into(),
        Some("unit") => "null".into(),
        Some(other) => other.to_owned(),
        None => "a value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn setpoint() -> Value {
        json!({"type": "struct", "name": "Setpoint", "fields": [{
            "name": "target_celsius", "type": {"type": "float", "name": "f32", "bits": 32},
            "unit": "°C", "min": 5, "max": 35}]})
    }

    #[test]
    fn struct_members_types_and_ranges() {
        assert_eq!(check(&setpoint(), &json!({"target_celsius": 22.5})), Ok(()));
        assert_eq!(
            check(&setpoint(), &json!({"target_celsius": "hot"})).unwrap_err(),
            ".target_celsius: expected a number (f32), got \"hot\""
        );
        assert_eq!(
            check(&setpoint(), &json!({"target_celsius": 50})).unwrap_err(),
            ".target_celsius: 50 °C is above the maximum 35 °C"
        );
        assert_eq!(check(&setpoint(), &json!({})).unwrap_err(), ".target_celsius: missing (f32)");
        assert!(check(&setpoint(), &json!({"target_celsuis": 20}))
            .unwrap_err()
            .contains("unknown member 'target_celsuis'"));
        assert!(check(&setpoint(), &json!({"target_celsius": 1e39})).unwrap_err().contains("out of range for an f32"));
        assert_eq!(check(&setpoint(), &json!(20)).unwrap_err(), "value: expected an object, got 20");
    }

    #[test]
    fn enums_integers_strings_and_arrays() {
        let level = json!({"type": "enum", "name": "L", "variants": [{"name": "info"}, {"name": "pwm", "items": [
            {"type": "int", "name": "u8", "bits": 8, "signed": false}, {"type": "int", "name": "u8", "bits": 8, "signed": false}]}]});
        assert_eq!(check(&level, &json!("info")), Ok(()));
        assert_eq!(
            check(&level, &json!("verbose")).unwrap_err(),
            "value: expected one of \"info\", \"pwm\", got \"verbose\""
        );
        assert_eq!(check(&level, &json!({"pwm": [1, 2]})), Ok(()));
        assert_eq!(
            check(&level, &json!({"pwm": [1, 300]})).unwrap_err(),
            ".pwm[1]: 300 is out of range for u8 (0..=255)"
        );
        assert!(check(&level, &json!("pwm")).unwrap_err().contains("carries a value"));
        let s = json!({"type": "string", "name": "String", "max_len": 4});
        assert!(check(&s, &json!("hello")).unwrap_err().contains("5 bytes, at most 4"));
        let i = json!({"type": "int", "name": "i8", "bits": 8, "signed": true});
        assert_eq!(check(&i, &json!(-128)), Ok(()));
        assert!(check(&i, &json!(1.5)).unwrap_err().contains("expected an integer"));
        let seq = json!({"type": "seq", "name": "Vec", "items": {"type": "bool", "name": "bool"}, "max_len": 2});
        assert!(check(&seq, &json!([true, false, true])).unwrap_err().contains("at most 2"));
        assert!(check(&seq, &json!([true, 1])).unwrap_err().starts_with("[1]: expected bool"));
        let opt = json!({"type": "option", "name": "Option", "inner": {"type": "char", "name": "char"}});
        assert_eq!((check(&opt, &json!(null)), check(&opt, &json!("x"))), (Ok(()), Ok(())));
    }
}
