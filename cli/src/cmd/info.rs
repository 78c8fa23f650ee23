//! `aimx info`: the welcome and the server's counters.

use aimx_client::{Client, ErrorCode};
use serde_json::{json, Value};

use crate::fail::Fail;
use crate::show;

pub async fn run(client: &Client, json: bool) -> Result<(), Fail> {
    // AimDB's own v3 server has no server.stats: its welcome is all there is.
    let stats = match client.stats().await {
        Err(e) if e.code() == Some(&ErrorCode::NotFound) => Value::Null,
        other => other?,
    };
    let w = client.welcome();
    if json {
        println!("{}", json!({ "welcome": w, "stats": stats }));
        return Ok(());
    }
    let list = |items: &[String]| if items.is_empty() { "(none)".to_owned() } else { items.join(", ") };
    let mut rows = vec![
        vec!["server".into(), w.server.clone()],
        vec!["protocol".into(), w.version.clone()],
        vec!["permissions".into(), list(&w.permissions)],
        vec!["authenticated".into(), if w.authenticated { "yes" } else { "no" }.into()],
        vec!["writable".into(), list(&w.writable_records)],
        vec!["subscriptions".into(), w.max_subscriptions.map_or("?".into(), |n| format!("at most {n} per session"))],
    ];
    if let Value::Object(stats) = &stats {
        for (key, value) in stats {
            let shown = match value.as_str() {
                Some(stamp) if key.ends_with("_at") => show::time(stamp),
                _ => value.to_string(),
            };
            rows.push(vec![key.replace('_', " "), shown]);
        }
    }
    print!("{}", show::table(&["", ""], &rows).split_once('\n').map_or("", |(_, rest)| rest));
    Ok(())
}
