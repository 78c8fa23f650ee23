//! One pool of reply buffers and line readers per server (issue 11: a
//! session's RAM), made the first time an accept loop serves the server and
//! shared by all its accept loops. Servers handed to the std accept loops are `'static`, so
//! their pools are too: leaked once per server, never freed.
//!
//! The buffers are one fresh anonymous mapping (the system gives a page
//! RAM only when it is first written), so a pool sized for every session
//! costs RAM only for the buffers that sessions held at once. Not
//! `vec![[0; N]; n]`: `calloc` may hand out recycled heap memory and zero
//! it by writing (measured: the whole pool resident, ~2 KiB per session).

use std::any::Any;
use std::sync::Mutex;

use std::sync::atomic::{AtomicUsize, Ordering};

use aimx::server::MAX_PENDING;
use aimx::server::{LineLender, ReplyPool};
use aimx::wire::LineReader;
use aimx::Server;

type Made = Vec<(usize, &'static (dyn Any + Send + Sync))>;

/// The pools made so far, by server address.
static POOLS: Mutex<Made> = Mutex::new(Vec::new());

/// How many buffers `server`'s pool has: one for every session the server
/// can hold at once (greeted ones and those still before their hello), so
/// no session ever waits for one.
pub fn pool_size<C: aimx::Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
) -> usize {
    let config = server.config();
    config.max_sessions.saturating_add(config.max_pending.min(MAX_PENDING)).max(1)
}

/// What a server's pooled sessions borrow ([`Server::serve_pooled`]).
pub struct Pools<const LINE: usize, const OUT: usize> {
    /// Reply buffers, held while a session has something to write.
    pub replies: ReplyPool<'static, OUT>,
    /// Line readers, held while a session has part of a line.
    pub readers: Readers<LINE>,
}

/// Line readers made as sessions first need them (one per session at
/// most, so bounded by the sessions held at once) and kept when given
/// back, the last given back lent first.
pub struct Readers<const N: usize> {
    free: Mutex<Vec<&'static mut LineReader<N>>>,
    made: AtomicUsize,
}

impl<const N: usize> Readers<N> {
    /// No reader yet.
    pub const fn new() -> Self {
        Readers { free: Mutex::new(Vec::new()), made: AtomicUsize::new(0) }
    }

    /// How many readers were made so far (the most ever lent at once).
    pub fn made(&self) -> usize {
        self.made.load(Ordering::Relaxed)
    }

    /// How many are given back and waiting to be lent again.
    pub fn free(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl<const N: usize> Default for Readers<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineLender<'static, N> for Readers<N> {
    fn lend(&self) -> &'static mut LineReader<N> {
        if let Some(reader) = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return reader;
        }
        self.made.fetch_add(1, Ordering::Relaxed);
        Box::leak(Box::new(LineReader::new()))
    }

    fn take_back(&self, reader: &'static mut LineReader<N>) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).push(reader);
    }
}

/// The most buffers one pool holds. Its free list is written whole when it
/// is made (16 B per buffer, resident), so "no limit" (`max_sessions` of
/// `usize::MAX`) cannot be pooled; a million sessions is beyond any server
/// this pool is for.
pub const MAX_POOLED: usize = 1 << 20;

/// `server`'s pools, made on the first call; `None` when they cannot be
/// made: more than [`MAX_POOLED`] sessions, or the system refused the
/// mapping. The accept loops then serve each session with buffers of its
/// own, as [`Server::serve_idle`] does (about 2 KiB more per session with
/// 1 KiB buffers), instead of failing.
pub fn pools<C: aimx::Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, C, SUBS, LINE, OUT>,
) -> Option<&'static Pools<LINE, OUT>> {
    let key = server as *const _ as usize;
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(k, _)| *k == key) {
        if let Some(pool) = pool.downcast_ref::<Pools<LINE, OUT>>() {
            return Some(pool);
        }
    }
    let n = pool_size(server);
    if n > MAX_POOLED {
        return None;
    }
    // The free list first: if it cannot be had, nothing is mapped yet (a
    // mapping is never given back once made).
    let mut slots = Vec::new();
    slots.try_reserve_exact(n).ok()?;
    slots.resize_with(n, || None);
    let buffers = zeroed_pages::<OUT>(n)?;
    let made: &'static Pools<LINE, OUT> =
        Box::leak(Box::new(Pools { replies: ReplyPool::new(buffers, slots.leak()), readers: Readers::new() }));
    pools.push((key, made));
    Some(made)
}

/// `n` zeroed buffers of `N` bytes, in memory no one has written yet
/// (`None` when the system refuses the mapping).
#[cfg(unix)]
fn zeroed_pages<const N: usize>(n: usize) -> Option<&'static mut [[u8; N]]> {
    let bytes = n.checked_mul(N)?;
    // SAFETY: a fresh private anonymous mapping: readable, writable, filled
    // with zeros (a valid `[u8; N]` everywhere), aligned to a page (more
    // than the 1 that `[u8; N]` needs), never unmapped and referenced by
    // nothing else, so one `'static` exclusive slice over it is sound.
    unsafe {
        let at = libc::mmap(
            std::ptr::null_mut(),
            bytes.max(1),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if at == libc::MAP_FAILED {
            return None;
        }
        Some(std::slice::from_raw_parts_mut(at.cast::<[u8; N]>(), n))
    }
}

/// `n` zeroed buffers of `N` bytes (written: elsewhere than on unix hosts
/// the whole pool may be resident).
#[cfg(not(unix))]
fn zeroed_pages<const N: usize>(n: usize) -> Option<&'static mut [[u8; N]]> {
    let mut pages = Vec::new();
    pages.try_reserve_exact(n).ok()?;
    pages.resize(n, [0u8; N]);
    Some(pages.leak())
}
