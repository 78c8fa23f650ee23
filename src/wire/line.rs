//! A bounded line accumulator: bytes in, whole lines out.
//!
//! A line, including its `\n`, must fit the `N`-byte buffer. A longer line is
//! reported once as [`Line::TooLong`] and then skipped up to the next `\n`;
//! memory never grows with what a peer sends. The outcome depends only on
//! the bytes, never on how they were chunked.
//!
//! With the `v3` feature the first bytes of the stream also pick the
//! framing: frames of a 4-byte big-endian length and that many bytes
//! (AimDB's TCP framing) when the stream starts with a zero byte (a length
//! under 16 MiB) and its fifth byte is `{`; lines otherwise. So line noise
//! on a serial port before a v1 hello is still answered line by line. A
//! frame must fit the buffer with its header; a longer one is
//! `Line::FrameTooLong`: it cannot be skipped without reading it, so the
//! session ends.

/// What [`LineReader::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its `\n` (and without a `\r` before it).
    Complete(&'a mut [u8]),
    /// A line did not fit the buffer; its bytes up to the next `\n` are
    /// being discarded.
    TooLong,
    /// A length-prefixed frame announced more bytes than the buffer holds
    /// (this length). Reported again on every call: the stream is unusable.
    #[cfg(feature = "v3")]
    FrameTooLong(u32),
}

/// What [`LineReader::next`] found: a request read with its line, or a
/// line to parse.
#[cfg(target_pointer_width = "64")]
pub(crate) enum Next<'a> {
    Request(super::Request<'a>),
    Line(Line<'a>),
}

/// How the stream is cut into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No byte seen yet.
    Undecided,
    /// Newline-terminated lines (v1, and v3 over NDJSON).
    Lines,
    /// A 4-byte big-endian length, then that many bytes (v3 over TCP).
    LengthPrefixed,
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
    framing: Framing,
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
        LineReader {
            buf: [0; N],
            start: 0,
            end: 0,
            scanned: 0,
            discarding: false,
            cr_held: false,
            framing: if cfg!(feature = "v3") { Framing::Undecided } else { Framing::Lines },
        }
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
            shift_down(&mut self.buf[..self.end], self.start);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// Nothing is buffered and nothing is being skipped: what the reader
    /// holds is its framing alone (a session may then lend it out).
    #[cfg(target_pointer_width = "64")]
    pub(crate) fn is_idle(&self) -> bool {
        self.start == self.end && !self.discarding && !self.cr_held
    }

    /// Empty again, with `framing`, without rewriting the buffer (cheaper
    /// than [`Self::clear`] for a reader taken from a pool).
    #[cfg(target_pointer_width = "64")]
    pub(crate) fn restart(&mut self, framing: Framing) {
        (self.start, self.end, self.scanned) = (0, 0, 0);
        (self.discarding, self.cr_held) = (false, false);
        self.framing = framing;
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

    /// Fixes the framing instead of detecting it (a link that only ever
    /// carries lines, or a test).
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
    }

    /// The framing, decided by the first bytes received (see the module).
    pub fn framing(&mut self) -> Framing {
        if self.framing == Framing::Undecided && self.end > self.start {
            let first = &self.buf[self.start..self.end];
            if first[0] != 0 {
                self.framing = Framing::Lines;
            } else if let Some(&fifth) = first.get(4) {
                self.framing = if fifth == b'{' { Framing::LengthPrefixed } else { Framing::Lines };
            }
        }
        self.framing
    }

    /// The next length-prefixed frame's body.
    #[cfg(feature = "v3")]
    fn next_frame(&mut self) -> Option<Line<'_>> {
        let head = self.buf.get(self.start..self.start + 4).filter(|_| self.end >= self.start + 4)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len as usize > N - 4 {
            return Some(Line::FrameTooLong(len));
        }
        let body = self.start + 4;
        let end = body + len as usize;
        if end > self.end {
            return None;
        }
        self.start = end;
        self.scanned = end;
        Some(Line::Complete(&mut self.buf[body..end]))
    }

    /// The next line: as a request when it has the plain shape that
    /// clients write (`request::plain`), read straight from the bytes
    /// received, so one pass finds the line's end and reads the request
    /// (issue 11: a search for the `\n` first walked every byte that the
    /// request reader then walked again); otherwise as [`Self::next_line`]
    /// cuts it, and that line parses to the same request. (No shortcut
    /// while an over-long line is skipped or a `\r` is held.)
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(crate) fn next(&mut self) -> Option<Next<'_>> {
        if !self.discarding && !self.cr_held && self.framing() == Framing::Lines {
            if let Some((plain, len, took)) = super::request::plain_line(&self.buf[self.start..self.end]) {
                let line = self.start;
                self.start += took;
                self.scanned = self.start;
                return Some(Next::Request(super::request::plain_request(&self.buf[line..line + len], plain)));
            }
        }
        self.next_line().map(Next::Line)
    }

    /// The next complete line, or `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        #[cfg(feature = "v3")]
        match self.framing() {
            Framing::Undecided => return None,
            Framing::LengthPrefixed => return self.next_frame(),
            Framing::Lines => {}
        }
        loop {
            let newline = super::swar::find(&self.buf[self.scanned..self.end], b'\n');
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

/// Moves `buf[by..]` to the front, as `copy_within(by.., 0)` would, in
/// chunks of `by` bytes that never overlap: a plain copy (`memcpy`), so
/// the firmware links no `memmove` (1.6 KB on a Cortex-M).
fn shift_down(buf: &mut [u8], by: usize) {
    let mut to = 0;
    while to + by < buf.len() {
        let n = by.min(buf.len() - to - by);
        let (front, back) = buf.split_at_mut(to + by);
        front[to..to + n].copy_from_slice(&back[..n]);
        to += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Feeds `input` in chunks of `chunk` bytes and collects what comes out.
    fn lines<const N: usize>(input: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
        framed::<N>(Framing::Lines, input, chunk)
    }

    fn framed<const N: usize>(framing: Framing, input: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
        let mut r = LineReader::<N>::new();
        r.set_framing(framing);
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
                    #[cfg(feature = "v3")]
                    Line::FrameTooLong(_) => panic!("frame too long"),
                });
            }
        }
        got
    }

    #[test]
    fn shift_down_moves_like_copy_within() {
        for len in 0..40 {
            for by in 1..=len.max(1) {
                let mut ours: Vec<u8> = (0..len as u8).collect();
                let mut theirs = ours.clone();
                shift_down(&mut ours, by);
                if by <= len {
                    theirs.copy_within(by.., 0);
                }
                assert_eq!(ours, theirs, "len {len}, by {by}");
            }
        }
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

    #[cfg(feature = "v3")]
    #[test]
    fn length_prefixed_frames_any_chunking() {
        let frame = |body: &[u8]| [&(body.len() as u32).to_be_bytes()[..], body].concat();
        let input = [frame(b"{\"t\":\"ping\"}"), frame(b""), frame(&[b'a'; 12])].concat();
        for chunk in [1, 3, 5, 64] {
            let got = framed::<16>(Framing::Undecided, &input, chunk);
            assert_eq!(
                got,
                [Some(b"{\"t\":\"ping\"}".to_vec()), Some(Vec::new()), Some([b'a'; 12].to_vec())],
                "{chunk}"
            );
        }
        // 13 bytes and the header do not fit 16: the stream cannot go on.
        let mut r = LineReader::<16>::new();
        r.spare()[..5].copy_from_slice(b"\0\0\0\x0d{");
        r.commit(5);
        assert_eq!(r.next_line(), Some(Line::FrameTooLong(13)));
        assert_eq!(r.framing(), Framing::LengthPrefixed);
        // Anything else is lines: text, whitespace, and noise that starts
        // with a zero byte but is no frame header.
        for start in [&b" {"[..], b"x\n", b"\0\xff no\n", b"{\"t\""] {
            let mut r = LineReader::<16>::new();
            r.spare()[..start.len()].copy_from_slice(start);
            r.commit(start.len());
            assert_eq!(r.framing(), Framing::Lines, "{start:?}");
        }
        // A zero byte alone decides nothing yet.
        let mut r = LineReader::<16>::new();
        r.spare()[..3].copy_from_slice(b"\0\0\0");
        r.commit(3);
        assert_eq!((r.framing(), r.next_line().is_none()), (Framing::Undecided, true));
    }

    /// Everything `next` gives for `reads` (each read cut to the room
    /// there is), as text (`via_next`), or what `next_line` and `parse`
    /// give (not); and how many `next` read as requests.
    #[cfg(target_pointer_width = "64")]
    fn read_all<const N: usize>(reads: &[&[u8]], via_next: bool) -> (Vec<std::string::String>, usize) {
        use super::super::request::{parse, Message};
        use std::format;
        let mut r = LineReader::<N>::new();
        let (mut got, mut plain) = (Vec::new(), 0);
        for read in reads {
            let mut rest = *read;
            while !rest.is_empty() {
                let spare = r.spare();
                let n = spare.len().min(rest.len());
                spare[..n].copy_from_slice(&rest[..n]);
                r.commit(n);
                rest = &rest[n..];
                loop {
                    let line = if via_next {
                        match r.next() {
                            None => break,
                            Some(Next::Request(req)) => {
                                plain += 1;
                                got.push(format!("{:?}", Ok::<_, ()>(Some(Message::Request(req)))));
                                continue;
                            }
                            Some(Next::Line(line)) => line,
                        }
                    } else {
                        let Some(line) = r.next_line() else { break };
                        line
                    };
                    got.push(match line {
                        Line::Complete(l) => format!("{:?}", parse(l).map_err(|_| ())),
                        other => format!("{other:?}"),
                    });
                }
            }
        }
        (got, plain)
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn plain_requests_read_with_their_line_end_as_cut_lines_parse() {
        let get = br#"{"id":7,"method":"record.get","params":{"name":"t.1"}}"#;
        let get_nl = [&get[..], b"\n"].concat();
        // 63 bytes: with its `\r` it fills a 64-byte buffer (the `\r` is held).
        let held = br#"{"id":123456789012,"method":"record.get","params":{"name":"t"}}"#;
        assert_eq!(held.len(), 63);
        let reads: [&[u8]; 16] = [
            &get_nl,
            &[get, &b"\r\n"[..]].concat(),
            &[&br#"{"version":"1.0"}"#[..], b"\n", get, b"\r\r\n", get, b" \n"].concat(),
            &[&br#"{"id":8,"method":"ping"}"#[..], b"\n\n"].concat(),
            // Alone in the buffer and filling it: the `\r` is held.
            &[&held[..], b"\r"].concat(),
            b"\n",
            // An over-long line whose tail is a whole plain line in a read
            // of its own: skipped with the line, not read as a request.
            &[b'x'; 100],
            &get_nl,
            &get_nl,
            &get[..20],
            &get[20..],
            b"\n",
            &get_nl[..get.len()],
            &get_nl[get.len()..],
            br#"{"id":9,"method":"record.list"}"#,
            b"\n",
        ];
        let (want, _) = read_all::<64>(&reads, false);
        let (got, plain) = read_all::<64>(&reads, true);
        assert_eq!(got, want);
        assert_eq!((got.len(), plain), (13, 7), "{got:#?}");
        // The plain line that ends an over-long one is skipped with it.
        assert_eq!(read_all::<64>(&reads[6..8], true), (std::vec!["TooLong".into()], 0));
        // The same bytes in reads of every size from 1 to 64.
        let input = reads.concat();
        for size in 1..=64 {
            let reads: Vec<&[u8]> = input.chunks(size).collect();
            assert_eq!(read_all::<64>(&reads, true).0, want, "reads of {size}");
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
