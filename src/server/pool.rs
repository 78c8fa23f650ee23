//! Reply buffers shared by the sessions of a 64-bit host (issue 11: a
//! session's RAM). A session holds a reply buffer only while it has
//! something to write: it takes one when it wakes and gives it back, empty,
//! before it waits again. Most sessions of a busy server are waiting, so
//! they hold none.
//!
//! The pool is a stack (last in, first out): the buffers in use stay the
//! same few, and a pool in zeroed memory the host never touched (a large
//! `calloc`) costs RAM only for the most buffers ever held at once. Sized at
//! the number of sessions the server can hold, no session ever waits for
//! one; a smaller pool is still correct (a session waits for a buffer to
//! come back, and every holder gives it back at its next wait or when its
//! write deadline ends it), only slower.

use maitake_sync::blocking::Mutex;
use maitake_sync::WaitQueue;

/// Reply buffers of `N` bytes for [`super::Server::serve_pooled`], borrowed
/// for `'p` (a std adapter leaks a zeroed allocation for them: pages never
/// written cost no RAM).
pub struct ReplyPool<'p, const N: usize> {
    free: Mutex<Free<'p, N>>,
    /// Woken when a buffer comes back to an empty pool.
    returned: WaitQueue,
    len: usize,
}

/// The free buffers: `slots[..top]` are `Some`, the rest `None`.
struct Free<'p, const N: usize> {
    slots: &'p mut [Option<&'p mut [u8; N]>],
    top: usize,
}

impl<'p, const N: usize> ReplyPool<'p, N> {
    /// A pool of the buffers in `buffers` (as many as `slots` has room
    /// for): `slots` is the pool's own bookkeeping, one per buffer.
    /// `buffers` is not written here, so untouched memory stays untouched.
    pub fn new(buffers: &'p mut [[u8; N]], slots: &'p mut [Option<&'p mut [u8; N]>]) -> Self {
        let mut top = 0;
        for (slot, buf) in slots.iter_mut().zip(buffers) {
            *slot = Some(buf);
            top += 1;
        }
        ReplyPool { free: Mutex::new(Free { slots, top }), returned: WaitQueue::new(), len: top }
    }

    /// How many buffers the pool has.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pool has no buffer at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many buffers are free (not held by a session) right now.
    pub fn free(&self) -> usize {
        self.free.with_lock(|f| f.top)
    }

    /// The buffer given back last, if any is free.
    pub(crate) fn take(&self) -> Option<&'p mut [u8; N]> {
        self.free.with_lock(|f| {
            f.top = f.top.checked_sub(1)?;
            f.slots[f.top].take()
        })
    }

    /// Waits for a free buffer (at once when one is free).
    pub(crate) async fn wait_take(&self) -> Option<&'p mut [u8; N]> {
        // A free buffer at once is the usual case (the std adapters' pools
        // hold one per session): one lock, not the wait queue's two more
        // (subscribe, unsubscribe) on a queue every session shares.
        if let Some(buf) = self.take() {
            return Some(buf);
        }
        // Subscribed before each look, so a buffer given back between the
        // look and the wait still wakes this session.
        self.returned.wait_for_value(|| self.take()).await.ok()
    }

    /// Gives back a buffer taken from this pool.
    pub(crate) fn give(&self, buf: &'p mut [u8; N]) {
        let was_empty = self.free.with_lock(|f| {
            f.slots[f.top] = Some(buf);
            f.top += 1;
            f.top == 1
        });
        // Only an empty pool can have sessions waiting; all of them look
        // again (the ones that lose wait again), so none is left waiting
        // beside a free buffer.
        if was_empty {
            self.returned.wake_all();
        }
    }
}

/// Where a pooled session's line reader comes from while it holds part of
/// a line ([`super::Server::serve_pooled`]): lent when bytes arrive, given
/// back when every line read is answered. A waiting session reads into a
/// few bytes of its own instead. A std adapter makes readers as sessions
/// first need them and keeps the ones given back (last in, first out): at
/// most one per session at once.
pub trait LineLender<'p, const N: usize>: Sync {
    /// A reader (its state is reset by the session).
    fn lend(&self) -> &'p mut crate::wire::LineReader<N>;
    /// A reader lent before, idle.
    fn take_back(&self, reader: &'p mut crate::wire::LineReader<N>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_buffer_is_out_once_and_the_last_back_goes_out_first() {
        let mut buffers = [[0u8; 4]; 3];
        let mut slots = [None, None, None, None];
        let pool = ReplyPool::new(&mut buffers, &mut slots[..3]);
        assert_eq!((pool.len(), pool.free()), (3, 3));
        let a = pool.take().unwrap();
        let b = pool.take().unwrap();
        let c = pool.take().unwrap();
        assert!(pool.take().is_none(), "three buffers, three takes");
        assert_eq!(pool.free(), 0);
        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_ptr());
        assert!(pa != pb && pb != pc && pa != pc, "three different buffers");
        b.copy_from_slice(b"kept");
        pool.give(b);
        let again = pool.take().unwrap();
        assert_eq!(again.as_ptr(), pb, "last in, first out");
        assert_eq!(again, b"kept", "a buffer comes back as it was given");
        pool.give(again);
        pool.give(a);
        pool.give(c);
        assert_eq!(pool.free(), 3);
    }

    #[test]
    fn a_waiting_taker_gets_the_buffer_given_back() {
        let mut buffers = [[0u8; 4]; 1];
        let mut slots = [None];
        let pool = ReplyPool::new(&mut buffers, &mut slots);
        let held = pool.take().unwrap();
        let mut wait = core::pin::pin!(pool.wait_take());
        assert!(futures_lite::future::block_on(futures_lite::future::poll_once(wait.as_mut())).is_none());
        pool.give(held);
        let got = futures_lite::future::block_on(wait);
        assert!(got.is_some(), "woken with the buffer");
        assert_eq!(pool.free(), 0);
    }
}
