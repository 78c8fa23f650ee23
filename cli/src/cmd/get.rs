//! `aimx get NAME`: the current value.

use aimx_client::Client;

use crate::fail::Fail;
use crate::show;

pub async fn run(client: &Client, name: &str, json: bool) -> Result<(), Fail> {
    let value = client.get(name).await?;
    println!("{}", show::json(&value, json));
    Ok(())
}
