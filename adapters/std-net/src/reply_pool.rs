//! One pool of reply buffers per server (issue 11: a session's RAM), made
//! the first time an accept loop serves the server and shared by all its
//! accept loops. Servers handed to the std accept loops are `'static`, so
//! their pools are too: leaked once per server, never freed.
//!
//! The buffers are one fresh anonymous mapping (the system gives a page
//! RAM only when it is first written), so a pool sized for every session
//! costs RAM only for the buffers that sessions held at once. Not
//! `vec![[0; N]; n]`: `calloc` may hand out recycled heap memory and zero
//! it by writing (measured: the whole pool resident, ~2 KiB per session).

use std::any::Any;
use std::sync::Mutex;

use aimx::server::ReplyPool;
use aimx::server::MAX_PENDING;
use aimx::Server;

type Pools = Vec<(usize, &'static (dyn Any + Send + Sync))>;

/// The pools made so far, by server address.
static POOLS: Mutex<Pools> = Mutex::new(Vec::new());

/// How many buffers `server`'s pool has: one for every session the server
/// can hold at once (greeted ones and those still before their hello), so
/// no session ever waits for one.
pub fn pool_size<C: aimx::Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &Server<'_, C, SUBS, LINE, OUT>,
) -> usize {
    let config = server.config();
    config.max_sessions.saturating_add(config.max_pending.min(MAX_PENDING)).max(1)
}

/// `server`'s pool of reply buffers, made on the first call.
pub fn reply_pool<C: aimx::Clock, const SUBS: usize, const LINE: usize, const OUT: usize>(
    server: &'static Server<'static, C, SUBS, LINE, OUT>,
) -> &'static ReplyPool<'static, OUT> {
    let key = server as *const _ as usize;
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(k, _)| *k == key) {
        if let Some(pool) = pool.downcast_ref::<ReplyPool<'static, OUT>>() {
            return pool;
        }
    }
    let n = pool_size(server);
    let buffers = zeroed_pages::<OUT>(n);
    let slots = Vec::leak(std::iter::repeat_with(|| None).take(n).collect());
    let pool: &'static ReplyPool<'static, OUT> = Box::leak(Box::new(ReplyPool::new(buffers, slots)));
    pools.push((key, pool));
    pool
}

/// `n` zeroed buffers of `N` bytes, in memory no one has written yet.
#[cfg(unix)]
fn zeroed_pages<const N: usize>(n: usize) -> &'static mut [[u8; N]] {
    let bytes = n.checked_mul(N).expect("reply pool size overflows");
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
        assert!(at != libc::MAP_FAILED, "reply pool: mmap of {bytes} bytes failed");
        std::slice::from_raw_parts_mut(at.cast::<[u8; N]>(), n)
    }
}

/// `n` zeroed buffers of `N` bytes (written: elsewhere than on unix hosts
/// the whole pool may be resident).
#[cfg(not(unix))]
fn zeroed_pages<const N: usize>(n: usize) -> &'static mut [[u8; N]] {
    Vec::leak(vec![[0u8; N]; n])
}
