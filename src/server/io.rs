//! The only code that touches the stream: reading, and writing the reply
//! buffer out under the write deadline.

use core::future::Future;
use core::marker::PhantomData;

use embedded_io_async::{Error as _, ErrorKind, Read, Write};
use futures_lite::future::or;

#[cfg(target_pointer_width = "64")]
use super::pool::ReplyPool;
use super::{Accept, SessionEnd};
use crate::runtime::Clock;
use crate::time::Timestamp;
use crate::wire::{Full, JsonOut};

/// A byte stream, or the writer of a split one. An error is reported by its
/// kind only: the session ends with it, or, on a link that allows it, drops
/// the line it damaged (see `Accept::recoverable`).
pub(crate) trait Transport {
    /// A link served again and again ([`super::Link`]): its sessions never
    /// enter the pre-hello budget and are never evicted. A const, so a
    /// firmware that serves only links builds no budget code at all.
    const LINK: bool = false;
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind>;
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind>;
    async fn flush(&mut self) -> Result<(), ErrorKind>;
}

/// What kind of stream a session is served over: a link (see
/// [`Transport::LINK`]) or a connection. The acceptor that yielded the
/// stream says which ([`Accept::CONNECTIONS`]); a stream served on its own
/// is a [`Connection`]. A type, not a value, so that `serve_many` has one
/// session future, built for the one kind its acceptors yield.
pub(crate) trait Kind {
    const LINK: bool;
}

/// A stream served on its own ([`super::Server::serve`]): a connection.
pub(crate) struct Connection;

impl Kind for Connection {
    const LINK: bool = false;
}

impl<A: Accept> Kind for A {
    const LINK: bool = !A::CONNECTIONS;
}

/// One stream that reads and writes, of kind `K`.
pub(crate) struct Whole<S, K>(S, PhantomData<fn() -> K>);

impl<S, K> Whole<S, K> {
    pub(crate) fn new(stream: S) -> Self {
        Whole(stream, PhantomData)
    }
}

impl<S: Read + Write, K: Kind> Transport for Whole<S, K> {
    const LINK: bool = K::LINK;
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.0.read(buf).await.map_err(|e| e.kind())
    }
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.0.write(buf).await.map_err(|e| e.kind())
    }
    async fn flush(&mut self) -> Result<(), ErrorKind> {
        self.0.flush().await.map_err(|e| e.kind())
    }
}

/// A writer alone, for a session that drives its reader itself
/// (`Session::run_split`): everything that answers or delivers writes
/// through a [`Transport`], and never reads.
pub(crate) struct WriteHalf<W>(pub W);

impl<W: Write> Transport for WriteHalf<W> {
    async fn read(&mut self, _: &mut [u8]) -> Result<usize, ErrorKind> {
        // Unreachable: only `Session::run` reads through a `Transport`.
        Err(ErrorKind::Unsupported)
    }
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.0.write(buf).await.map_err(|e| e.kind())
    }
    async fn flush(&mut self) -> Result<(), ErrorKind> {
        self.0.flush().await.map_err(|e| e.kind())
    }
}

/// The reply buffer: pieces of JSON accumulate here and go out together.
pub(crate) struct Out<'s, const N: usize> {
    buf: Store<'s, N>,
    len: usize,
    /// Length-prefixed output (v3 over TCP), and where the frame being
    /// written started.
    #[cfg(feature = "v3")]
    frames: Frames,
}

/// Length-prefixed output: each frame (a message up to its `\n`) goes out as
/// a 4-byte big-endian length and the message without the `\n`. The length
/// is patched in when the `\n` arrives, so such a frame must fit the buffer
/// whole; a flush sends only finished frames.
///
/// A reply larger than the buffer (a long `record.list`) is written twice
/// by its handler: once only measured ([`Out::measure`]), then for real
/// behind a header that declares the measured length plus some slack
/// ([`Out::declare`]), streaming through the buffer as v1 replies do. The
/// frame is padded with spaces (JSON allows trailing whitespace) up to the
/// declared length, so a value that grew a digit between the two passes
/// still fits.
#[cfg(feature = "v3")]
#[derive(Clone, Copy, Default)]
struct Frames {
    on: bool,
    /// The header of the frame not finished yet.
    open: Option<usize>,
    /// Measuring: the bytes and pieces written so far, none kept.
    measuring: Option<(usize, usize)>,
    /// A declared frame being written: the bytes it still has room for.
    declared: Option<usize>,
    /// Spaces owed after the declared frame's last byte (sent by `flush`).
    pad: usize,
    /// A declared frame outgrew its declaration: the stream is broken.
    broken: bool,
}

/// Where the reply buffer's bytes are. On MCUs, in the session itself.
#[cfg(not(target_pointer_width = "64"))]
struct Store<'s, const N: usize>([u8; N], PhantomData<&'s mut [u8; N]>);

#[cfg(not(target_pointer_width = "64"))]
impl<const N: usize> Store<'_, N> {
    fn get(&mut self) -> Result<&mut [u8; N], Full> {
        Ok(&mut self.0)
    }
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Where the reply buffer's bytes are. On 64-bit hosts, outside the
/// session (issue 11: a session's RAM): a buffer of the caller's (`pool`
/// `None`), or one held from a [`ReplyPool`] only while there is something
/// to write (`buf` `None` while the session waits with nothing buffered).
#[cfg(target_pointer_width = "64")]
struct Store<'s, const N: usize> {
    buf: Option<&'s mut [u8; N]>,
    pool: Option<&'s ReplyPool<'s, N>>,
}

#[cfg(target_pointer_width = "64")]
impl<const N: usize> Store<'_, N> {
    #[inline]
    fn get(&mut self) -> Result<&mut [u8; N], Full> {
        // The session takes its buffer when it wakes (`Out::lease`, which
        // waits when the pool is empty): this is only the fallback.
        if self.buf.is_none() {
            self.buf = self.pool.and_then(ReplyPool::take);
        }
        self.buf.as_deref_mut().ok_or(Full)
    }
    fn bytes(&self) -> &[u8] {
        self.buf.as_deref().map_or(&[], |b| b)
    }
}

#[cfg(target_pointer_width = "64")]
impl<const N: usize> Drop for Store<'_, N> {
    fn drop(&mut self) {
        if let Some(pool) = self.pool {
            if let Some(buf) = self.buf.take() {
                pool.give(buf);
            }
        }
    }
}

#[cfg(target_pointer_width = "64")]
impl<'s, const N: usize> Out<'s, N> {
    /// A reply buffer over `buf` (the caller's), or, without one, over
    /// buffers from `pool` held while there is something to write.
    pub(crate) fn new(buf: Option<&'s mut [u8; N]>, pool: Option<&'s ReplyPool<'s, N>>) -> Self {
        Out {
            buf: Store { buf, pool },
            len: 0,
            #[cfg(feature = "v3")]
            frames: Frames { on: false, open: None, measuring: None, declared: None, pad: 0, broken: false },
        }
    }

    /// Takes a buffer from the pool if the session has none, waiting for
    /// one to come back if none is free. `None`: nothing to wait for.
    pub(crate) fn lease(&mut self) -> Option<impl Future<Output = ()> + use<'_, 's, N>> {
        let pool = self.buf.pool.filter(|_| self.buf.buf.is_none())?;
        Some(async move { self.buf.buf = pool.wait_take().await })
    }

    /// Gives the pool's buffer back if nothing is buffered (called before
    /// the session waits).
    pub(crate) fn release(&mut self) {
        #[cfg(feature = "v3")]
        let f = &self.frames;
        #[cfg(feature = "v3")]
        let idle = f.open.is_none() && f.measuring.is_none() && f.declared.is_none() && f.pad == 0;
        #[cfg(not(feature = "v3"))]
        let idle = true;
        if self.len == 0 && idle {
            // (A buffer of the caller's, with no pool, stays.)
            if let Some(pool) = self.buf.pool {
                if let Some(buf) = self.buf.buf.take() {
                    pool.give(buf);
                }
            }
        }
    }
}

#[cfg(not(target_pointer_width = "64"))]
impl<'s, const N: usize> Out<'s, N> {
    /// A reply buffer of its own.
    pub(crate) const fn new() -> Self {
        Out {
            buf: Store([0; N], PhantomData),
            len: 0,
            #[cfg(feature = "v3")]
            frames: Frames { on: false, open: None, measuring: None, declared: None, pad: 0, broken: false },
        }
    }
}

impl<const N: usize> Out<'_, N> {
    /// Nothing that could be written out is buffered.
    pub(crate) fn is_empty(&self) -> bool {
        self.ready() == 0
    }

    /// The bytes that can go out now: all of them, or with length-prefixed
    /// frames those up to the frame not finished yet.
    fn ready(&self) -> usize {
        #[cfg(feature = "v3")]
        if let Some(open) = self.frames.open {
            return open;
        }
        self.len
    }

    /// From now on, frames go out length-prefixed.
    #[cfg(feature = "v3")]
    pub(crate) fn length_prefixed(&mut self, on: bool) {
        self.frames.on = on;
    }

    /// Whether frames go out length-prefixed.
    #[cfg(feature = "v3")]
    pub(crate) fn is_length_prefixed(&self) -> bool {
        self.frames.on
    }

    /// Starts measuring (pieces are counted, not kept: the buffer must have
    /// been flushed), or stops and returns the bytes and pieces counted.
    #[cfg(feature = "v3")]
    pub(crate) fn measure(&mut self, on: bool) -> (usize, usize) {
        let counted = self.frames.measuring.take().unwrap_or((0, 0));
        if on {
            self.frames.measuring = Some((0, 0));
        }
        counted
    }

    /// The next frame is `len` bytes, whatever the buffer holds: its header
    /// goes out now, its pieces as they come, spaces after them up to `len`.
    #[cfg(feature = "v3")]
    pub(crate) fn declare(&mut self, len: usize) -> Result<(), Full> {
        let header = self.buf.get()?.get_mut(self.len..self.len + 4).ok_or(Full)?;
        header.copy_from_slice(&(len as u32).to_be_bytes());
        self.len += 4;
        self.frames.declared = Some(len);
        Ok(())
    }

    /// A declared frame was longer than declared (its stream is corrupt).
    #[cfg(feature = "v3")]
    pub(crate) fn broken(&self) -> bool {
        self.frames.broken
    }

    /// Drops the frame not finished yet (one too large for the buffer);
    /// `true` if there was one.
    #[cfg(feature = "v3")]
    pub(crate) fn abandon(&mut self) -> bool {
        match self.frames.open.take() {
            Some(open) => {
                self.len = open;
                true
            }
            None => false,
        }
    }

    /// Appends what `f` writes, all or nothing.
    pub(crate) fn piece(&mut self, f: &mut Piece<'_>) -> Result<(), Full> {
        #[cfg(feature = "v3")]
        if let Some((bytes, pieces)) = self.frames.measuring.as_mut() {
            let mut scratch = self.len;
            append(self.buf.get()?, &mut scratch, f)?;
            *bytes += scratch - self.len;
            *pieces += 1;
            return Ok(());
        }
        #[cfg(feature = "v3")]
        if let Some(room) = self.frames.declared {
            let start = self.len;
            let buf = self.buf.get()?;
            append(buf, &mut self.len, f)?;
            let mut written = self.len - start;
            let done = written > 0 && buf[self.len - 1] == b'\n';
            if done {
                self.len -= 1;
                written -= 1;
            }
            self.frames.broken |= written > room;
            let room = room.saturating_sub(written);
            if done {
                self.frames.declared = None;
                self.frames.pad = room;
            } else {
                self.frames.declared = Some(room);
            }
            return Ok(());
        }
        #[cfg(feature = "v3")]
        if self.frames.on {
            return append_framed(self.buf.get()?, &mut self.len, &mut self.frames.open, f);
        }
        append(self.buf.get()?, &mut self.len, f)
    }

    /// Appends what `f` writes when it returns `true` (nothing when it
    /// returns `false`), if pieces go in as they are: not while the output
    /// is length-prefixed or a frame is measured or declared (`false`
    /// then, nothing called). The whole reply in one go, for replies
    /// written without [`Sink`]'s layers (64-bit hosts: see
    /// `dispatch::value_now`).
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(crate) fn whole(&mut self, f: impl FnOnce(&mut JsonOut) -> bool) -> bool {
        #[cfg(feature = "v3")]
        if self.frames.on || self.frames.measuring.is_some() || self.frames.declared.is_some() {
            return false;
        }
        let Ok(buf) = self.buf.get() else { return false };
        let Some(free) = buf.get_mut(self.len..) else { return false };
        let mut out = JsonOut::new(free);
        let wrote = f(&mut out);
        if wrote {
            self.len += out.len();
        }
        wrote
    }

    /// The bytes that can go out now; once written, [`Out::sent`]. (The
    /// session writes them itself, with `write_out`: one future fewer
    /// around the write, which on an MCU is code and state.)
    pub(crate) fn ready_bytes(&self) -> &[u8] {
        &self.buf.bytes()[..self.ready()]
    }

    /// The spaces owed after a declared frame, up to 32 at a time, to be
    /// written after the ready bytes (a declared frame is padded right
    /// after its last byte: the handler flushes as soon as it ends).
    #[cfg(feature = "v3")]
    pub(crate) fn take_pad(&mut self) -> Option<&'static [u8]> {
        static SPACES: [u8; 32] = [b' '; 32];
        if self.frames.declared.is_some() || self.frames.pad == 0 {
            return None;
        }
        let k = self.frames.pad.min(SPACES.len());
        self.frames.pad -= k;
        Some(&SPACES[..k])
    }

    /// The first `n` bytes ([`Out::ready_bytes`]) were written out.
    pub(crate) fn sent(&mut self, n: usize) {
        // What is left is the start of a frame not finished yet.
        #[cfg(feature = "v3")]
        if let Ok(buf) = self.buf.get() {
            buf.copy_within(n..self.len, 0);
        }
        self.len -= n;
        #[cfg(feature = "v3")]
        if let Some(open) = self.frames.open.as_mut() {
            *open -= n;
        }
    }
}

/// Why a reply writer stopped before its end.
pub(crate) enum Halt<'a> {
    /// The buffer is too full for the next piece: it must be written out,
    /// then the writer run again from the piece after the first `n`
    /// (which stay in the buffer, ahead of the rest).
    Flush(u32),
    /// A piece does not fit even an empty buffer.
    TooBig,
    /// The request is answered with this error instead; nothing of its
    /// reply was written.
    Answer(crate::wire::ErrorCode, super::msg::Msg<'a>),
}

/// Why the session could not write a reply at once, kept small: it is
/// held while the session waits.
#[derive(Clone, Copy)]
pub(crate) enum Stall {
    /// As [`Halt::Flush`].
    Flush(u32),
    /// As [`Halt::TooBig`].
    TooBig,
    /// A big reply in a length-prefixed frame: measured first, after a
    /// flush (`Core::finish`).
    #[cfg(feature = "v3")]
    Measure,
}

/// The reply buffer as a reply writer sees it: pieces go in until one does
/// not fit, and the writer stops with [`Halt::Flush`]. Run again after the
/// flush, the writer finds the pieces already written skipped (counted, not
/// written twice), so a reply is written by a plain function, not a future.
pub(crate) struct Sink<'o, 's, const N: usize> {
    out: &'o mut Out<'s, N>,
    /// Pieces written before the last flush: skipped.
    done: u32,
    /// Pieces of this reply met so far.
    at: u32,
}

impl<'o, 's, const N: usize> Sink<'o, 's, N> {
    /// A sink for a reply whose first `done` pieces are already written.
    pub(crate) fn new(out: &'o mut Out<'s, N>, done: u32) -> Self {
        Sink { out, done, at: 0 }
    }

    /// Appends a piece that always fits an empty buffer (envelopes,
    /// names); one that does not is [`Halt::TooBig`].
    pub(crate) fn piece(&mut self, f: &mut Piece<'_>) -> Result<(), Halt<'static>> {
        match self.try_piece(f)? {
            true => Ok(()),
            false => Err(Halt::TooBig),
        }
    }

    /// Appends a piece; `Ok(false)`: it does not fit even an empty buffer,
    /// and the writer writes something else in its place (which counts as
    /// the same piece when the reply is written again).
    pub(crate) fn try_piece(&mut self, f: &mut Piece<'_>) -> Result<bool, Halt<'static>> {
        if self.at < self.done {
            self.at += 1;
            return Ok(true);
        }
        if self.out.piece(f).is_ok() {
            self.at += 1;
            return Ok(true);
        }
        if self.out.is_empty() {
            return Ok(false);
        }
        Err(Halt::Flush(self.at))
    }
}

/// What writes one piece of a reply (or of an event) into the buffer.
/// Taken as `&mut dyn` so each helper that writes pieces exists once, not
/// once per closure type (on an MCU that was a hundred copies, ~14 KB).
pub(crate) type Piece<'a> = dyn FnMut(&mut JsonOut) -> Result<(), Full> + 'a;

/// [`Out::piece`] for any buffer size, compiled once (inlined on 64-bit
/// hosts: a call less per reply piece).
#[cfg_attr(target_pointer_width = "64", inline)]
fn append(buf: &mut [u8], len: &mut usize, f: &mut Piece<'_>) -> Result<(), Full> {
    let mut out = JsonOut::new(&mut buf[*len..]);
    f(&mut out)?;
    *len += out.len();
    Ok(())
}

/// [`append`] for length-prefixed frames: a piece that starts a frame gets
/// 4 bytes reserved for its length; one ending in `\n` (the end of every
/// message) closes the frame: the `\n` is dropped, the length written.
#[cfg(feature = "v3")]
fn append_framed(buf: &mut [u8], len: &mut usize, open: &mut Option<usize>, f: &mut Piece<'_>) -> Result<(), Full> {
    let (header, at) = match *open {
        Some(header) => (header, *len),
        None => (*len, *len + 4),
    };
    let mut out = JsonOut::new(buf.get_mut(at..).ok_or(Full)?);
    f(&mut out)?;
    let written = out.len();
    if written == 0 {
        return Ok(());
    }
    let mut end = at + written;
    if buf[end - 1] == b'\n' {
        end -= 1;
        let body = (end - header - 4) as u32;
        buf[header..header + 4].copy_from_slice(&body.to_be_bytes());
        *open = None;
    } else {
        *open = Some(header);
    }
    *len = end;
    Ok(())
}

/// Writes `bytes` out, giving up when the peer takes nothing for
/// `timeout_ms`, or at `cap` (the hello deadline). `Ok(true)`: the peer
/// made the writing wait.
///
/// On 64-bit hosts a plain function handing out `write_all`'s future: an
/// `async fn` layer keeps its arguments twice (as passed, and moved into its
/// body) and every session's future is sized for it (issue 11: a tokio
/// session task 128 B smaller). 32-bit targets keep the `async fn`, which
/// linked smaller there when measured (36 B less flash on the QEMU firmware).
#[cfg(target_pointer_width = "64")]
pub(crate) fn write_out<'a, T: Transport, C: Clock>(
    io: &'a mut T,
    clock: &'a C,
    timeout_ms: u64,
    cap: Option<Timestamp>,
    bytes: &'a [u8],
) -> impl Future<Output = Result<bool, SessionEnd>> + 'a {
    write_all(io, clock, Deadline { timeout_ms, cap }, bytes)
}
#[cfg(not(target_pointer_width = "64"))]
pub(crate) async fn write_out<T: Transport, C: Clock>(
    io: &mut T,
    clock: &C,
    timeout_ms: u64,
    cap: Option<Timestamp>,
    bytes: &[u8],
) -> Result<bool, SessionEnd> {
    write_all(io, clock, Deadline { timeout_ms, cap }, bytes).await
}

/// When a write that waits for the peer gives up.
#[derive(Clone, Copy)]
struct Deadline {
    /// After this long without progress: [`SessionEnd::WriteTimeout`].
    timeout_ms: u64,
    /// At this point whatever the progress: [`SessionEnd::HandshakeTimeout`].
    cap: Option<Timestamp>,
}

/// Writes `bytes` out. The write deadline is measured from the last
/// progress: a peer that keeps taking bytes, however slowly, is never cut
/// off; one that takes nothing for `timeout_ms` is. `Ok(true)`: the peer
/// did not take the bytes in one write (it is slow).
///
/// Each write (and the flush after the last) races its own timer, armed
/// only if the write has to wait, from that moment: the time of the last
/// progress, give or take the poll. One race per write, and no shared
/// progress mark between two futures (which cost ~200 B of flash on an
/// MCU, and a clock read per write on a host).
///
/// Not an `async fn`, so its arguments are kept once (see `write_out`).
#[allow(clippy::manual_async_fn)]
fn write_all<'a, T: Transport, C: Clock>(
    io: &'a mut T,
    clock: &'a C,
    deadline: Deadline,
    bytes: &'a [u8],
) -> impl Future<Output = Result<bool, SessionEnd>> + 'a {
    async move {
        let (mut rest, mut writes) = (bytes, 0u32);
        if rest.is_empty() {
            return Ok(false);
        }
        loop {
            let done = rest.is_empty();
            let step = async {
                Ok(match done {
                    true => io.flush().await.map(|()| 1),
                    false => io.write(rest).await,
                })
            };
            // Polled only once the step waits: a write the peer takes at once
            // reads no clock and arms no timer.
            let timer = async {
                let mut at = clock.monotonic().plus_millis(deadline.timeout_ms);
                let mut end = SessionEnd::WriteTimeout;
                if let Some(cap) = deadline.cap.filter(|&cap| cap <= at) {
                    (at, end) = (cap, SessionEnd::HandshakeTimeout);
                }
                clock.sleep_until(at).await;
                Err(end)
            };
            match or(step, timer).await? {
                Ok(0) => return Err(SessionEnd::WriteError(ErrorKind::WriteZero)),
                Err(kind) => return Err(SessionEnd::WriteError(kind)),
                Ok(_) if done => return Ok(writes > 1),
                Ok(n) => rest = &rest[n.min(rest.len())..],
            }
            writes += 1;
        }
    }
}
