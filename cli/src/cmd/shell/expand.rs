//! What a typed line means: raw JSON (sent as typed, with an id when it has
//! none) or a short form (`get NAME`) expanded into a request.

use serde_json::{json, Value};

use crate::cmd::set::parse_value;

/// One typed line, understood.
#[derive(Debug, PartialEq)]
pub enum Typed {
    /// Nothing to do (a blank line).
    Nothing,
    /// Print the short forms.
    Help,
    /// Leave the shell.
    Quit,
    /// Send `line`; its reply will carry `id`, when known.
    Send { line: String, id: Option<u64> },
}

/// The short forms, as `help` prints them.
pub const HELP: &str = "\
short forms (anything starting with `{` is sent as typed, with an id added when it has none):
  list                 record.list
  get NAME             record.get
  set NAME VALUE       record.set (VALUE is JSON; a bare word is a string)
  sub NAME             record.subscribe: its events print as they arrive
  unsub SUB-ID         record.unsubscribe, e.g. `unsub sub-1`
  ping                 ping
  info                 server.stats
  help                 this text
  quit                 leave (Ctrl-D too)";

/// Reads one typed line; `next_id` hands out request ids.
pub fn expand(input: &str, next_id: &mut dyn FnMut() -> u64) -> Result<Typed, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(Typed::Nothing);
    }
    if input.starts_with('{') {
        return Ok(raw(input, next_id));
    }
    let (word, rest) = input.split_once(char::is_whitespace).unwrap_or((input, ""));
    let rest = rest.trim();
    let one_name = |usage: &str| match rest.split_whitespace().count() {
        1 => Ok(rest),
        _ => Err(format!("usage: {usage}")),
    };
    let (method, params) = match word {
        "help" | "?" => return Ok(Typed::Help),
        "quit" | "exit" => return Ok(Typed::Quit),
        "list" => ("record.list", json!({})),
        "ping" => ("ping", json!({})),
        "info" | "stats" => ("server.stats", json!({})),
        "get" => ("record.get", json!({ "name": one_name("get NAME")? })),
        "sub" | "subscribe" => ("record.subscribe", json!({ "name": one_name("sub NAME")? })),
        "unsub" | "unsubscribe" => ("record.unsubscribe", json!({ "subscription_id": one_name("unsub SUB-ID")? })),
        "set" => {
            let (name, value) = rest.split_once(char::is_whitespace).ok_or("usage: set NAME VALUE")?;
            let value = parse_value(value.trim()).map_err(|e| e.message())?;
            ("record.set", json!({ "name": name, "value": value }))
        }
        _ => return Err(format!("unknown command `{word}`: type `help`, or a JSON request")),
    };
    let id = next_id();
    Ok(Typed::Send { line: json!({ "id": id, "method": method, "params": params }).to_string(), id: Some(id) })
}

/// Raw JSON goes out as typed. A request object without an id gets one (put
/// first, the rest unchanged); anything else, even broken JSON, is sent so
/// the server's answer to it can be seen.
fn raw(input: &str, next_id: &mut dyn FnMut() -> u64) -> Typed {
    let Ok(Value::Object(request)) = serde_json::from_str::<Value>(input) else {
        return Typed::Send { line: input.to_owned(), id: None };
    };
    match request.get("id") {
        Some(id) => Typed::Send { line: input.to_owned(), id: id.as_u64() },
        None if request.contains_key("method") => {
            let id = next_id();
            // It has a method, so something follows the brace.
            let body = input.trim_start_matches('{').trim_start();
            Typed::Send { line: format!("{{\"id\":{id},{body}"), id: Some(id) }
        }
        // A hello (or anything else without a method) carries no id.
        None => Typed::Send { line: input.to_owned(), id: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &str) -> Result<Typed, String> {
        let mut ids = 6..;
        expand(input, &mut || ids.next().unwrap())
    }

    fn sent(input: &str) -> String {
        match one(input) {
            Ok(Typed::Send { line, .. }) => line,
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn short_forms_become_requests_with_ids() {
        assert_eq!(sent("list"), r#"{"id":6,"method":"record.list","params":{}}"#);
        assert_eq!(
            sent("  get   config.log_level "),
            r#"{"id":6,"method":"record.get","params":{"name":"config.log_level"}}"#
        );
        assert_eq!(
            sent("set config.log_level debug"),
            r#"{"id":6,"method":"record.set","params":{"name":"config.log_level","value":"debug"}}"#
        );
        assert_eq!(
            sent(r#"set actuator.setpoint {"target_celsius": 22.5}"#),
            r#"{"id":6,"method":"record.set","params":{"name":"actuator.setpoint","value":{"target_celsius":22.5}}}"#
        );
        assert_eq!(
            sent("sub sensor.temperature"),
            r#"{"id":6,"method":"record.subscribe","params":{"name":"sensor.temperature"}}"#
        );
        assert_eq!(
            sent("unsub sub-1"),
            r#"{"id":6,"method":"record.unsubscribe","params":{"subscription_id":"sub-1"}}"#
        );
        assert_eq!(sent("ping"), r#"{"id":6,"method":"ping","params":{}}"#);
        assert_eq!(sent("info"), r#"{"id":6,"method":"server.stats","params":{}}"#);
        assert_eq!(one("get x"), Ok(Typed::Send { line: sent("get x"), id: Some(6) }));
    }

    #[test]
    fn raw_json_is_sent_as_typed_with_an_id_when_missing() {
        assert_eq!(sent(r#"{"method":"ping"}"#), r#"{"id":6,"method":"ping"}"#);
        assert_eq!(
            sent(r#"{ "method" : "record.get", "params": {"name":"x"}}"#),
            r#"{"id":6,"method" : "record.get", "params": {"name":"x"}}"#
        );
        assert_eq!(
            one(r#"{"id":41,"method":"ping"}"#),
            Ok(Typed::Send { line: r#"{"id":41,"method":"ping"}"#.into(), id: Some(41) })
        );
        assert_eq!(one(r#"{"version":"1.0"}"#), Ok(Typed::Send { line: r#"{"version":"1.0"}"#.into(), id: None }));
        assert_eq!(one("{broken"), Ok(Typed::Send { line: "{broken".into(), id: None }));
    }

    #[test]
    fn mistakes_are_explained_locally() {
        assert_eq!(one(""), Ok(Typed::Nothing));
        assert_eq!(one("help"), Ok(Typed::Help));
        assert_eq!(one("quit"), Ok(Typed::Quit));
        assert_eq!(one("get"), Err("usage: get NAME".into()));
        assert_eq!(one("get a b"), Err("usage: get NAME".into()));
        assert_eq!(one("set config.log_level"), Err("usage: set NAME VALUE".into()));
        assert!(one("set x {broken").unwrap_err().starts_with("VALUE is not valid JSON"));
        assert!(one("frobnicate").unwrap_err().starts_with("unknown command `frobnicate`"));
    }
}
