//! Issue 9, item 3: `serve_split` keeps its read in flight while it delivers
//! events, so a DMA-style reader loses nothing.
//!
//! The reader here behaves like a DMA or idle-line UART driver: on its first
//! poll the bytes are moved into the caller's buffer (and are gone from the
//! source), and the read completes only three polls later. Dropping the read
//! in between loses those bytes. A busy subscription keeps events ready the
//! whole time, so every read races against event delivery. (Under the loop
//! `serve` uses, which drops the read when an event is ready, nearly every
//! request is lost: 1 of 200 answered when measured. `serve` requires a
//! cancel-safe read.)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use aimx::SessionEnd;
use embedded_io_async::Read;
use serde_json::Value;

use common::{duplex, fixture, Client, End};

struct DmaReader {
    source: End,
}

impl embedded_io_async::ErrorType for DmaReader {
    type Error = embedded_io::ErrorKind;
}

impl Read for DmaReader {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        // The transfer: bytes land in `buf` now.
        let n = self.source.read(buf).await?;
        if n == 0 {
            return Ok(0);
        }
        // The completion interrupt: three polls later.
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            if polls == 3 {
                return Poll::Ready(());
            }
            polls += 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        Ok(n)
    }
}

const REQUESTS: u64 = 200;

#[test]
fn serve_split_answers_every_request_from_a_dma_reader_while_events_flow() {
    let fx = fixture();
    let (server_rx, mut client_tx) = duplex(64 * 1024);
    let (server_tx, client_rx) = duplex(4 * 1024 * 1024);
    let done = AtomicBool::new(false);
    let server = async {
        let end = fx.server.serve_split(DmaReader { source: server_rx }, server_tx).await;
        done.store(true, Ordering::Relaxed);
        end
    };
    let publisher = async {
        let mut i = 0u32;
        while !done.load(Ordering::Relaxed) {
            fx.records.small.publish(i);
            i += 1;
            futures_lite::future::yield_now().await;
        }
    };
    let client = async {
        use embedded_io_async::Write;
        let mut requests = String::from("{\"version\":\"1.0\",\"client\":\"dma-test\"}\n");
        requests.push_str("{\"id\":1000,\"method\":\"record.subscribe\",\"params\":{\"name\":\"test.small\"}}\n");
        for id in 1..=REQUESTS {
            requests.push_str(&format!("{{\"id\":{id},\"method\":\"ping\"}}\n"));
        }
        // Small writes, so the requests arrive over many reads.
        for chunk in requests.as_bytes().chunks(37) {
            client_tx.write_all(chunk).await.unwrap();
            futures_lite::future::yield_now().await;
        }
        drop(client_tx);
        let mut c = Client::new(client_rx);
        let (mut answered, mut events, mut errors) = (0u64, 0u64, Vec::new());
        while let Some(line) = c.line().await {
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if v.get("event").is_some() {
                events += 1;
            } else if v.get("error").is_some() {
                errors.push(line);
            } else if v["result"]["pong"] == true {
                answered += 1;
            }
        }
        (answered, events, errors)
    };
    let (end, ((answered, events, errors), ())) =
        futures_lite::future::block_on(futures_lite::future::zip(server, futures_lite::future::zip(client, publisher)));
    assert_eq!(end, SessionEnd::PeerClosed);
    assert!(errors.is_empty(), "{} error replies, first: {}", errors.len(), errors[0]);
    assert_eq!(answered, REQUESTS, "answers to {REQUESTS} pings ({events} events delivered)");
    assert!(events > 0, "the subscription was busy");
}
