//! Property: however the same bytes are chunked on their way in, a session
//! answers with exactly the same bytes.

mod common;

use futures_lite::future::block_on;
use proptest::prelude::*;

use common::{fixture, session};

/// Lines a client might send, good and bad; joined in random order.
const LINES: &[&str] = &[
    r#"{"id":1,"method":"ping"}"#,
    r#"{"id":2,"method":"record.get","params":{"name":"config.log_level"}}"#,
    r#"{"id":3,"method":"record.set","params":{"name":"config.log_level","value":"warn"}}"#,
    r#"{"id":4,"method":"record.set","params":{"name":"test.note","value":"a\"b\u00e9\ud83d\ude00"}}"#,
    r#"{"id":5,"method":"record.list"}"#,
    r#"{"id":6,"method":"record.get","params":{"record":"nope"}}"#,
    // (`server.stats` is left out: its byte counters depend on timing.)
    r#"{"id":8,"method":"record.unsubscribe","params":{"subscription_id":"sub-9"}}"#,
    r#"{"hello":{"version":"1.0","client":"again"}}"#,
    "{\"id\":9,\"method\":\"ping\"}\r",
    "",
    "not json at all",
    "\u{0}\u{1}\u{7f}",
    "[1,2,3]",
    r#"{"id":10,"method":"record.get","params":{"name":"#,
];

/// Runs one session fed `input` in the given chunk sizes; returns all output.
fn replies(input: &[u8], chunks: &[usize]) -> Vec<u8> {
    let fx = fixture();
    block_on(async {
        let (_, out) = session(fx.connect(), async |c| {
            let mut rest = input;
            let mut sizes = chunks.iter().cycle();
            while !rest.is_empty() {
                let n = (*sizes.next().unwrap()).clamp(1, rest.len());
                c.send_raw(&rest[..n]).await;
                rest = &rest[n..];
                // Let the server take each chunk on its own.
                futures_lite::future::yield_now().await;
            }
            // A final ping marks the end of the replies to wait for.
            c.send(r#"{"id":999,"method":"ping"}"#).await;
            let mut out = Vec::new();
            loop {
                let line = c.line().await.expect("session ended early");
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                if line.starts_with(r#"{"id":999,"#) {
                    return out;
                }
            }
        })
        .await;
        out
    })
}

fn input_from(picks: &[usize], overlong: bool) -> Vec<u8> {
    let mut input = b"{\"version\":\"1.0\"}\n".to_vec();
    for &i in picks {
        input.extend_from_slice(LINES[i % LINES.len()].as_bytes());
        input.push(b'\n');
    }
    if overlong {
        input.extend(std::iter::repeat_n(b'x', 3000));
        input.push(b'\n');
    }
    input
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_replies(
        picks in prop::collection::vec(0usize..LINES.len(), 1..24),
        overlong in any::<bool>(),
        chunks in prop::collection::vec(1usize..64, 1..8),
    ) {
        let input = input_from(&picks, overlong);
        let whole = replies(&input, &[input.len()]);
        let chunked = replies(&input, &chunks);
        prop_assert_eq!(String::from_utf8_lossy(&whole), String::from_utf8_lossy(&chunked));
        // Every reply line is one valid JSON value.
        for line in whole.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(line).is_ok(), "{:?}", String::from_utf8_lossy(line));
        }
    }
}

#[test]
fn byte_by_byte_equals_whole() {
    let picks: Vec<usize> = (0..LINES.len()).collect();
    let input = input_from(&picks, true);
    let (whole, bytewise) = (replies(&input, &[input.len()]), replies(&input, &[1]));
    assert_eq!(String::from_utf8_lossy(&whole), String::from_utf8_lossy(&bytewise));
}
