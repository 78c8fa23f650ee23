//! Arbitrary bytes through the line reader and the request parser.
//!
//! The first byte picks the chunk size the bytes arrive in, so splits that a
//! stream would produce are explored too. Checked: no panic; a line handed
//! out fits the buffer and holds no `\n`; a value span lies inside its line.
#![no_main]

use aimx::wire::{request, Framing, Line, LineReader};
use libfuzzer_sys::fuzz_target;

const N: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, mut rest)) = data.split_first() else { return };
    let chunk = usize::from(chunk % 64) + 1;
    let mut reader = LineReader::<N>::new();
    while !rest.is_empty() {
        let spare = reader.spare();
        assert!(!spare.is_empty(), "spare() must never be empty");
        let n = spare.len().min(chunk).min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        reader.commit(n);
        rest = &rest[n..];
        let reader_framing = reader.framing();
        while let Some(line) = reader.next_line() {
            // An oversized length-prefixed frame cannot be skipped without
            // reading it: the reader keeps saying so and the session ends.
            if let Line::FrameTooLong(_) = line {
                return;
            }
            let Line::Complete(line) = line else { continue };
            assert!(line.len() < N);
            // A length-prefixed frame may hold a newline (JSON whitespace).
            if reader_framing == Framing::Lines {
                assert!(!line.contains(&b'\n'));
            }
            let range = line.as_ptr_range();
            if let Ok(Some(request::Message::Request(r))) = request::parse(line) {
                if let Some(value) = r.value {
                    let v = value.as_ptr_range();
                    assert!(range.start <= v.start && v.end <= range.end, "value span outside its line");
                }
            }
        }
    }
});
