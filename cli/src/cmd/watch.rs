//! `aimx watch NAME…`: one line per event until --count, Ctrl-C or the end.

use std::time::Instant;

use aimx_client::{Client, Error, Event};
use serde_json::json;
use tokio::sync::mpsc;

use crate::fail::Fail;
use crate::show;

pub async fn run(
    client: &Client,
    names: &[String],
    count: Option<u64>,
    max_rate: Option<f64>,
    json: bool,
) -> Result<(), Fail> {
    // Listen for Ctrl-C before anything can arrive, so no early press is lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let (mut rx, ids) = subscribe_all(client, names, 256, max_rate).await?;
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let started = Instant::now();
    let (mut events, mut dropped, mut coalesced) = (0u64, 0u64, 0u64);
    let outcome = loop {
        if count.is_some_and(|c| events >= c) {
            break Ok(());
        }
        tokio::select! {
            biased;
            _ = &mut ctrl_c => break Ok(()),
            item = rx.recv() => match item {
                Some((i, Some(event))) => {
                    events += 1;
                    dropped += event.dropped;
                    coalesced += event.coalesced;
                    print_event(&names[i], width, &event, json);
                }
                _ => break Err(client.ended().unwrap_or_else(|| Error::Closed("the subscription ended".into()))),
            },
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { events as f64 / secs } else { 0.0 };
    // Skipped by request, so not a loss: shown apart, when a rate was asked.
    let coalesced = match max_rate {
        Some(_) => format!(", {coalesced} coalesced"),
        None => String::new(),
    };
    eprintln!("{events} events, {dropped} dropped{coalesced} in {secs:.1}s ({rate:.1} events/s)");
    if outcome.is_ok() {
        // A serial device keeps its session after we close the port: tidy up.
        for id in ids {
            let _ = client.unsubscribe_id(&id).await;
        }
    }
    outcome.map_err(Fail::from)
}

fn print_event(name: &str, width: usize, event: &Event, json: bool) {
    // A v3 pattern's events name the record they come from.
    let name = event.topic.as_deref().unwrap_or(name);
    if json {
        let line = json!({
            "record": name, "sequence": event.sequence, "timestamp": event.timestamp,
            "dropped": event.dropped, "coalesced": event.coalesced, "data": event.data,
        });
        println!("{line}");
        return;
    }
    if event.dropped > 0 {
        println!("… {} dropped", event.dropped);
    }
    // A v3 server may not stamp its events: show when it arrived instead.
    let time = if event.timestamp.is_empty() { show::now() } else { show::time(&event.timestamp) };
    println!("{time}  {name:<width$}  #{:<5} {}", event.sequence, event.data);
}

/// One record's event (by the index of its name), or `None` when that
/// subscription ended.
pub(crate) type Forwarded = (usize, Option<Event>);

/// Subscribes to every name (at most `max_rate` events a second each, when
/// given) and forwards all their events into one queue of `capacity`;
/// returns the queue and the subscription ids, in `names` order.
pub(crate) async fn subscribe_all(
    client: &Client,
    names: &[String],
    capacity: usize,
    max_rate: Option<f64>,
) -> Result<(mpsc::Receiver<Forwarded>, Vec<String>), Fail> {
    let (tx, rx) = mpsc::channel::<Forwarded>(capacity);
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut sub = match max_rate {
            Some(hz) => client.subscribe_max_rate(name, hz).await?,
            None => client.subscribe(name).await?,
        };
        ids.push(sub.id().to_owned());
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = sub.next().await {
                if tx.send((i, Some(event))).await.is_err() {
                    return;
                }
            }
            let _ = tx.send((i, None)).await;
        });
    }
    Ok((rx, ids))
}
