//! Prints what a session costs in RAM: `size_of` of its state and of the
//! whole `serve` future, at the default and at a small-MCU configuration.
//! On a 64-bit host the state leaves both buffers out (the `serve` future
//! has them, or `serve_pooled` borrows them only while in use).
//!
//! `cargo run --release --example sizes` (host, 64-bit). The firmware
//! measurements for thumbv7em come from the firmware build itself.

use core::future::Future;
use core::mem::size_of;

use aimx::record::AnyRecord;
use aimx::server::{subscription_cost, Session};
use aimx::{Clock, Config, McuServer, Registry, Server, SingleLatest, SpmcRing, Timestamp};

/// A stream that never moves: only its type matters here.
struct Idle;
impl embedded_io_async::ErrorType for Idle {
    type Error = core::convert::Infallible;
}
impl embedded_io_async::Read for Idle {
    async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
        core::future::pending().await
    }
}
impl embedded_io_async::Write for Idle {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A clock that never moves.
struct Still;
impl Clock for Still {
    fn now(&self) -> Timestamp {
        Timestamp::ZERO
    }
    fn sleep_until(&self, _: Timestamp) -> impl Future<Output = ()> {
        core::future::pending()
    }
}

static RING: SpmcRing<f32, 16> = SpmcRing::new("ring", "f32");
static LATEST: SingleLatest<u32> = SingleLatest::new("latest", "u32");
static RECORDS: [&dyn AnyRecord; 2] = [&RING, &LATEST];

fn row<const SUBS: usize, const LINE: usize, const OUT: usize>(
    label: &str,
    server: &Server<'static, Still, SUBS, LINE, OUT>,
) {
    let state = size_of::<Session<'static, 'static, Still, SUBS, LINE, OUT>>();
    let future = size_of_val(&server.serve(Idle));
    println!("| {label} | {SUBS} | {LINE} | {OUT} | {state} | {future} |");
}

fn main() {
    let default: Server<'static, Still> = Server::new(Registry::new(&RECORDS), Config::new(), Still);
    let mcu: McuServer<'static, Still> = Server::new(Registry::new(&RECORDS), Config::new(), Still);
    println!("target: {} ({}-bit)", std::env::consts::ARCH, usize::BITS);
    println!("| configuration | SUBS | LINE | OUT | Session state (B) | serve() future (B) |");
    println!("|---|---|---|---|---|---|");
    row("default `Server`", &default);
    row("`McuServer`", &mcu);
    // What smaller std buffers would save per session (issue 11 weighs them).
    let half: Server<'static, Still, 4, 512, 512> = Server::new(Registry::new(&RECORDS), Config::new(), Still);
    row("4 subs, 512 B buffers", &half);
    let cost = subscription_cost();
    println!();
    println!("per subscription: {} B cursor + {} B waiter = {} B", cost.cursor, cost.waiter, cost.cursor + cost.waiter);
    println!("records: SpmcRing<f32, 16> = {} B, SingleLatest<u32> = {} B", size_of_val(&RING), size_of_val(&LATEST));
    println!("server (shared by all sessions): {} B", size_of_val(&default));
    // The std adapters' sessions: a reply buffer and a line reader only
    // while in use.
    // (The adapters' pools and servers are `'static`.)
    let server: &'static Server<'static, Still> = Box::leak(Box::new(default));
    let pool = Box::leak(Box::new(aimx::server::ReplyPool::<1024>::new(&mut [], &mut [])));
    let readers = Box::leak(Box::new(aimx_std_net::reply_pool::Readers::<1024>::new()));
    let pooled = size_of_val(&server.serve_pooled(Idle, 0, pool, readers));
    println!("default `Server`, serve_pooled() future: {pooled} B (+ a pool buffer while writing, a reader while reading a line)");
}
