//! `aimx list`: every record in a table.

use aimx_client::{Client, RecordInfo};

use crate::fail::Fail;
use crate::show;

const HEADER: [&str; 7] = ["NAME", "BUFFER", "CAPACITY", "PRODUCERS", "CONSUMERS", "WRITABLE", "LAST UPDATE"];

pub async fn run(client: &Client, json: bool) -> Result<(), Fail> {
    let records = client.list().await?;
    if json {
        println!("{}", serde_json::to_string(&records).unwrap_or_default());
    } else {
        let rows: Vec<Vec<String>> = records.iter().map(row).collect();
        print!("{}", show::table(&HEADER, &rows));
    }
    Ok(())
}

fn row(r: &RecordInfo) -> Vec<String> {
    let last = r.last_update.as_deref().map_or_else(
        || "-".to_owned(),
        |t| match show::age(t) {
            Some(age) => format!("{} ({age})", show::time(t)),
            None => show::time(t),
        },
    );
    vec![
        r.name.clone(),
        r.buffer_type.clone(),
        r.buffer_capacity.map_or_else(|| "-".to_owned(), |c| c.to_string()),
        r.producer_count.to_string(),
        r.consumer_count.to_string(),
        if r.writable { "yes" } else { "no" }.to_owned(),
        last,
    ]
}
