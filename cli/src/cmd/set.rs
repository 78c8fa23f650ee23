//! `aimx set NAME VALUE`: write a record.

use aimx_client::Client;
use serde_json::Value;

use crate::fail::Fail;
use crate::show;

/// VALUE as JSON; a bare word (`debug`, `on`) is taken as a string so nobody
/// has to type `'"debug"'`. Anything that looks like JSON but is not valid is
/// a usage error rather than a surprising string.
pub fn parse_value(text: &str) -> Result<Value, Fail> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(_) if is_bare_word(text) => Ok(Value::String(text.to_owned())),
        Err(e) => {
            Err(Fail::Usage(format!("VALUE is not valid JSON ({e}); quote strings with spaces: '\"two words\"'")))
        }
    }
}

fn is_bare_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || "_-.:/+@".contains(c))
}

pub async fn run(client: &Client, name: &str, value: Value, json: bool) -> Result<(), Fail> {
    // Where the device publishes its value type, a wrong shape is refused
    // here with the member that is wrong, and nothing is sent.
    if let Some(schema) = super::schema::fetch(client, name).await? {
        if let Err(why) = super::schema::check(&schema, &value) {
            return Err(Fail::Usage(format!("{name}: {why} (checked against the record's schema; nothing was sent)")));
        }
    }
    let stored = client.set(name, value).await?;
    println!("{}", show::json(&stored, json));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_words_are_strings_and_json_is_json() {
        assert_eq!(parse_value("debug").unwrap(), json!("debug"));
        assert_eq!(parse_value("\"debug\"").unwrap(), json!("debug"));
        assert_eq!(parse_value("22.5").unwrap(), json!(22.5));
        assert_eq!(parse_value("true").unwrap(), json!(true));
        assert_eq!(parse_value(r#"{"target_celsius":22.5}"#).unwrap(), json!({"target_celsius": 22.5}));
        assert!(matches!(parse_value("{broken"), Err(Fail::Usage(_))));
        assert!(matches!(parse_value("two words"), Err(Fail::Usage(_))));
        assert!(matches!(parse_value(""), Err(Fail::Usage(_))));
    }
}
