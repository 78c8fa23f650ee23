//! The reader task: reads lines, hands replies to their callers and events to
//! their subscriptions.

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc::error::TrySendError;

use tokio::io::AsyncReadExt;

use crate::codec::{Codec, Framing};
use crate::error::Error;
use crate::state::{Ended, Shared, Slot};
use crate::wire::{Event, Incoming};

/// Longest line accepted from the server; longer ones are skipped, so a
/// babbling serial line cannot grow memory without bound.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// Reads one line (without its `\n`). `Ok(None)` at end of stream. Lines over
/// [`MAX_LINE`] come back empty, which classifies as junk.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<()>> {
    line.clear();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(if line.is_empty() && !too_long { None } else { Some(()) });
        }
        let (len, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        too_long |= line.len() + len > MAX_LINE;
        if !too_long {
            line.extend_from_slice(&buf[..len]);
        }
        reader.consume(len + usize::from(found));
        if found {
            if too_long {
                line.clear();
            }
            return Ok(Some(()));
        }
    }
}

/// Reads one length-prefixed frame. Frames over [`MAX_LINE`] are read past
/// and come back empty, like overlong lines.
pub(crate) async fn read_prefixed<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    frame: &mut Vec<u8>,
) -> std::io::Result<Option<()>> {
    frame.clear();
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as u64;
    if len > MAX_LINE as u64 {
        tokio::io::copy(&mut reader.take(len), &mut tokio::io::sink()).await?;
        return Ok(Some(()));
    }
    frame.resize(len as usize, 0);
    reader.read_exact(frame).await?;
    Ok(Some(()))
}

/// The next frame in `framing`; `Ok(None)` at end of stream.
pub(crate) async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    framing: Framing,
    frame: &mut Vec<u8>,
) -> std::io::Result<Option<()>> {
    match framing {
        Framing::Lines => read_line(reader, frame).await,
        Framing::LengthPrefixed => read_prefixed(reader, frame).await,
    }
}

pub(crate) async fn run<R: AsyncBufRead + Unpin>(mut reader: R, shared: Shared, codec: Codec) {
    let mut line = Vec::new();
    let why = loop {
        match read_frame(&mut reader, codec.framing, &mut line).await {
            Ok(Some(())) => {}
            Ok(None) => break Ended::Closed("the server closed the connection".into()),
            Err(e) => break Ended::Closed(format!("read failed: {e}")),
        }
        let incoming = codec.classify(&line);
        // A keep-alive ping's answer goes nowhere, not even to the tap.
        let keep_alive = match &incoming {
            Incoming::Reply(id, _) => shared.lock().keep_alive_ids.remove(id),
            Incoming::Pong => matches!(shared.lock().pongs.front(), Some(None)),
            _ => false,
        };
        if !line.is_empty() && !keep_alive {
            if let Some(tap) = &shared.lock().tap {
                let _ = tap.try_send(String::from_utf8_lossy(&line).into_owned());
            }
        }
        match incoming {
            Incoming::Reply(_, _) if keep_alive => {}
            Incoming::Reply(id, result) => reply(&shared, id, result.map_err(Error::Server)),
            Incoming::Event(event, counted) => deliver(&shared, event, counted),
            Incoming::Pong => {
                if let Some(Some(waiter)) = shared.lock().pongs.pop_front() {
                    let _ = waiter.send(());
                }
            }
            // Someone sent a hello on this line (another tool on the same
            // serial port): the server restarted the session, and every
            // subscription of ours is gone.
            Incoming::Welcome(_) => shared.lock().subs.clear(),
            Incoming::Refusal(e) => break Ended::Rejected(e),
            Incoming::Junk => {}
        }
    };
    shared.end(why);
}

fn reply(shared: &Shared, id: u64, result: Result<Value, Error>) {
    let mut state = shared.lock();
    let key = if id == 0 { state.pending.keys().next().copied() } else { Some(id) };
    let Some(pending) = key.and_then(|k| state.pending.remove(&k)) else { return };
    if let (Ok(result), Some(events)) = (&result, pending.subscribe) {
        if let Some(sub) = result.get("subscription_id").and_then(Value::as_str) {
            state.subs.insert(sub.to_owned(), Slot::new(events));
        }
    }
    // A refused v3 `sub`: its slot was opened when it was sent.
    if let (Err(_), Some(sub)) = (&result, pending.v3_sub) {
        state.subs.remove(&sub);
    }
    let _ = pending.reply.send(result);
}

fn deliver(shared: &Shared, mut event: Event, counted: bool) {
    let mut state = shared.lock();
    let Some(slot) = state.subs.get_mut(&event.subscription_id) else { return };
    // v3's `seq` grows by one per update, plus what the server dropped
    // (and what a rate limit coalesced, when it says so).
    if let (false, Some(last)) = (counted, slot.last_seq) {
        event.dropped = event.sequence.saturating_sub(last + 1).saturating_sub(event.coalesced);
    }
    slot.last_seq = Some(event.sequence);
    let skipped = event.dropped;
    event.dropped += slot.local_drops;
    match slot.events.try_send(event) {
        Ok(()) => slot.local_drops = 0,
        // Never block the reader: replies and other subscriptions must flow.
        Err(TrySendError::Full(_)) => slot.local_drops += skipped + 1,
        Err(TrySendError::Closed(ev)) => {
            state.subs.remove(&ev.subscription_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8]) -> Vec<String> {
        let mut reader = input;
        let mut line = Vec::new();
        let mut out = Vec::new();
        while read_line(&mut reader, &mut line).await.unwrap().is_some() {
            out.push(String::from_utf8(line.clone()).unwrap());
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_and_skips_overlong_ones() {
        assert_eq!(lines(b"a\nbc\n\nd").await, ["a", "bc", "", "d"]);
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.extend_from_slice(b"\nok\n");
        assert_eq!(lines(&long).await, ["", "ok"]);
    }

    #[tokio::test]
    async fn reads_length_prefixed_frames_and_skips_overlong_ones() {
        let mut input = b"\x00\x00\x00\x02{}\x00\x00\x00\x00".to_vec();
        input.extend_from_slice(&(MAX_LINE as u32 + 1).to_be_bytes());
        input.resize(input.len() + MAX_LINE + 1, b'x');
        input.extend_from_slice(b"\x00\x00\x00\x01z\x00\x00");
        let mut reader = &input[..];
        let mut frame = Vec::new();
        let mut out = Vec::new();
        while read_prefixed(&mut reader, &mut frame).await.unwrap().is_some() {
            out.push(String::from_utf8(frame.clone()).unwrap());
        }
        // The torn length at the end reads as the end of the stream.
        assert_eq!(out, ["{}", "", "", "z"]);
    }
}
