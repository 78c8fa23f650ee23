//! A bounded line accumulator: bytes in, whole lines out.
//!
//! A line, including its `\n`, must fit the `N`-byte buffer. A longer line is
//! reported once as [`Line::TooLong`] and then skipped up to the next `\n`;
//! memory never grows with what a peer sends. The outcome depends only on
//! the bytes, never on how they were chunked.

/// What [`LineReader::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its `\n` (and without a `\r` before it).
    Complete(&'a mut [u8]),
    /// A line did not fit the buffer; its bytes up to the next `\n` are
    /// being discarded.
    TooLong,
}

/// Accumulates bytes read from a stream into lines of at most `N` bytes.
pub struct LineReader<const N: usize> {
    buf: [u8; N],
    /// Start of the first unconsumed byte.
    start: usize,
    /// End of the received bytes.
    end: usize,
    /// Bytes in `start..scanned` are known to hold no `\n`.
    scanned: usize,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    /// A full buffer ended in `\r`: it was dropped, and the next byte
    /// decides whether it was a CRLF (the limit is on content).
    cr_held: bool,
}

impl<const N: usize> Default for LineReader<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineReader<N> {
    /// An empty reader.
    pub const fn new() -> Self {
        assert!(N >= 16, "a line buffer needs at least 16 bytes");
        LineReader { buf: [0; N], start: 0, end: 0, scanned: 0, discarding: false, cr_held: false }
    }

    /// Drop everything buffered (used when a session restarts).
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Free space to read into; pass the count read to [`Self::commit`].
    ///
    /// Never empty: a full buffer holding no `\n` is turned into
    /// [`Line::TooLong`] by [`Self::next_line`] before more is read.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// Record that `n` bytes were written into [`Self::spare`].
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(N);
    }

    /// Drops a partly received line whose bytes were damaged in transit
    /// (a UART overrun) and skips the rest of it, up to the next `\n`.
    /// Between lines it does nothing: no good line is thrown away on a guess.
    pub fn drop_partial(&mut self) {
        if self.end > self.start {
            (self.start, self.end, self.scanned) = (0, 0, 0);
            self.cr_held = false;
            self.discarding = true;
        }
    }

    /// The next complete line, or `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        loop {
            let newline = self.buf[self.scanned..self.end].iter().position(|&b| b == b'\n');
            let Some(offset) = newline else {
                self.scanned = self.end;
                if self.discarding {
                    self.start = 0;
                    self.end = 0;
                    self.scanned = 0;
                    return None;
                }
                if self.start == 0 && self.end == N {
                    // N - 1 bytes of content and a `\r`: if a `\n` comes
                    // next, the line fits (a CRLF's `\r` is not content).
                    if self.buf[N - 1] == b'\r' && !self.cr_held {
                        self.cr_held = true;
                        self.end = N - 1;
                        self.scanned = N - 1;
                        return None;
                    }
                    self.cr_held = false;
                    self.discarding = true;
                    self.end = 0;
                    self.scanned = 0;
                    return Some(Line::TooLong);
                }
                return None;
            };
            let nl = self.scanned + offset;
            let line_start = self.start;
            self.start = nl + 1;
            self.scanned = self.start;
            if self.discarding {
                self.discarding = false;
                continue;
            }
            let cr = nl > line_start && self.buf[nl - 1] == b'\r' && !self.cr_held;
            self.cr_held = false;
            let end = if cr { nl - 1 } else { nl };
            return Some(Line::Complete(&mut self.buf[line_start..end]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Feeds `input` in chunks of `chunk` bytes and collects what comes out.
    fn lines<const N: usize>(input: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
        let mut r = LineReader::<N>::new();
        let mut got = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let spare = r.spare();
            let n = spare.len().min(chunk).min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            r.commit(n);
            rest = &rest[n..];
            while let Some(line) = r.next_line() {
                got.push(match line {
                    Line::Complete(l) => Some(l.to_vec()),
                    Line::TooLong => None,
                });
            }
        }
        got
    }

    #[test]
    fn splits_lines_and_strips_cr() {
        let got = lines::<32>(b"a\r\nbc\n\nd", 3);
        assert_eq!(got, [Some(b"a".to_vec()), Some(b"bc".to_vec()), Some(Vec::new())]);
    }

    #[test]
    fn the_limit_is_on_content_a_crlf_cr_does_not_count() {
        let content = [b'a'; 15];
        for chunk in [1, 3, 16, 64] {
            let crlf = [&content[..], b"\r\nz\r\n"].concat();
            assert_eq!(lines::<16>(&crlf, chunk), [Some(content.to_vec()), Some(b"z".to_vec())], "chunk {chunk}");
            // A `\r` that is not followed by `\n` is content: too long.
            let cr_x = [&content[..], b"\rx\nz\n"].concat();
            assert_eq!(lines::<16>(&cr_x, chunk), [None, Some(b"z".to_vec())], "chunk {chunk}");
            let cr_cr = [&content[..], b"\r\r\nz\n"].concat();
            assert_eq!(lines::<16>(&cr_cr, chunk), [None, Some(b"z".to_vec())], "chunk {chunk}");
        }
    }

    #[test]
    fn long_line_is_skipped_once_and_reading_goes_on() {
        let mut input = Vec::new();
        input.extend_from_slice(&[b'x'; 100]);
        input.extend_from_slice(b"\nok\n");
        for chunk in [1, 7, 16, 200] {
            assert_eq!(lines::<16>(&input, chunk), [None, Some(b"ok".to_vec())], "chunk {chunk}");
        }
    }

    #[test]
    fn boundary_a_line_with_its_newline_must_fit() {
        // 15 bytes + '\n' fit a 16-byte buffer; 16 bytes + '\n' do not.
        let fits = [[b'a'; 15].as_slice(), b"\n"].concat();
        assert_eq!(lines::<16>(&fits, 4), [Some([b'a'; 15].to_vec())]);
        let over = [[b'a'; 16].as_slice(), b"\nz\n"].concat();
        assert_eq!(lines::<16>(&over, 4), [None, Some(b"z".to_vec())]);
    }
}
