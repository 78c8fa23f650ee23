//! A session's line reader on a 64-bit host: the caller's, or, for a
//! session served from pools (`Server::serve_pooled`), one lent only while
//! the session holds bytes of a line (issue 11: a session's RAM). A pooled
//! session waiting between requests holds no reader: its read in flight
//! goes into [`SMALL`] bytes of its own, moved into a lent reader when the
//! read completes. A line longer than those is read on at once into the
//! reader (`Session::run` reads again when a read filled its room).

use super::pool::LineLender;
use crate::wire::{Framing, LineReader};

/// The bytes a pooled session reads into while it holds no reader: one
/// typical request line fits, so a request costs no second read.
pub(crate) const SMALL: usize = 128;

pub(crate) struct Lines<'s, const N: usize> {
    now: Option<&'s mut LineReader<N>>,
    lender: Option<&'s dyn LineLender<'s, N>>,
    /// Bytes read while no reader was held (`held` of them).
    small: [u8; SMALL],
    held: u8,
    /// The stream's framing, kept while no reader is held.
    framing: Framing,
}

impl<'s, const N: usize> Lines<'s, N> {
    /// Lines read into `reader` (the caller's) or, without one, into
    /// readers lent by `lender`.
    pub(crate) fn new(reader: Option<&'s mut LineReader<N>>, lender: Option<&'s dyn LineLender<'s, N>>) -> Self {
        let framing = if cfg!(feature = "v3") { Framing::Undecided } else { Framing::Lines };
        Lines { now: reader, lender, small: [0; SMALL], held: 0, framing }
    }

    /// Makes sure bytes read into `small` are in a reader.
    fn hold(&mut self) {
        if self.held == 0 || self.now.is_some() {
            return;
        }
        let Some(lender) = self.lender else { return };
        let reader = lender.lend();
        reader.restart(self.framing);
        let n = usize::from(self.held);
        reader.spare()[..n].copy_from_slice(&self.small[..n]);
        reader.commit(n);
        self.held = 0;
        self.now = Some(reader);
    }

    /// Free space to read into (see [`LineReader::spare`]): a lent or own
    /// reader's, or, while none is held, `small`.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        self.hold();
        match self.now {
            Some(ref mut reader) => reader.spare(),
            None => &mut self.small,
        }
    }

    /// `n` bytes were read into [`Self::spare`].
    pub(crate) fn commit(&mut self, n: usize) {
        match self.now {
            Some(ref mut reader) => reader.commit(n),
            None => self.held = n.min(SMALL) as u8,
        }
    }

    /// See [`LineReader::drop_partial`].
    pub(crate) fn drop_partial(&mut self) {
        self.hold();
        if let Some(reader) = self.now.as_deref_mut() {
            reader.drop_partial();
        }
    }

    /// See [`LineReader::framing`].
    pub(crate) fn framing(&mut self) -> Framing {
        self.hold();
        match self.now {
            Some(ref mut reader) => reader.framing(),
            None => self.framing,
        }
    }

    /// See [`LineReader::next`].
    #[inline]
    pub(crate) fn next(&mut self) -> Option<crate::wire::line::Next<'_>> {
        self.hold();
        self.now.as_deref_mut()?.next()
    }

    /// Gives a lent reader back when it holds nothing but its framing
    /// (called before the session waits).
    pub(crate) fn release(&mut self) {
        let Some(lender) = self.lender else { return };
        if !self.now.as_deref().is_some_and(LineReader::is_idle) {
            return;
        }
        if let Some(reader) = self.now.take() {
            self.framing = reader.framing();
            lender.take_back(reader);
        }
    }
}

impl<const N: usize> Drop for Lines<'_, N> {
    fn drop(&mut self) {
        if let Some(lender) = self.lender {
            if let Some(reader) = self.now.take() {
                lender.take_back(reader);
            }
        }
    }
}
