//! Per-peer-address bookkeeping for the std accept loops: how many
//! connections each address has open (capped), and how many hellos it got
//! wrong lately (after the first few, each new connection from it waits its
//! turn, one per `guess_interval`, so guessing a token is slow).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aimx::wire::ErrorCode;
use aimx::SessionEnd;

/// Limits per peer address.
#[derive(Debug, Clone, Copy)]
pub struct PeerLimits {
    /// Connections one address may have open at once; the one over is
    /// refused with `too_many_sessions` before its session starts.
    pub max_per_peer: usize,
    /// Whether loopback peers (local tools, load generators, tests) are
    /// exempt from `max_per_peer`. The auth back-off applies to them anyway.
    pub exempt_loopback: bool,
    /// Failed hellos an address may have before its connections are paced.
    pub free_failures: u32,
    /// Once paced, one new connection per this interval: 100 ms is at most
    /// 10 guesses a second.
    pub guess_interval: Duration,
    /// Failures older than this are forgotten.
    pub forget_after: Duration,
}

impl Default for PeerLimits {
    /// 16 connections per address (loopback exempt), 3 free failures, then
    /// 10 attempts a second; failures forgotten after a quiet minute.
    fn default() -> Self {
        PeerLimits {
            max_per_peer: 16,
            exempt_loopback: true,
            free_failures: 3,
            guess_interval: Duration::from_millis(100),
            forget_after: Duration::from_secs(60),
        }
    }
}

#[derive(Debug)]
struct Peer {
    open: usize,
    failures: u32,
    last_failure: Instant,
    /// The earliest start for the next paced connection.
    next_turn: Instant,
}

/// The peers of one accept loop.
#[derive(Debug)]
pub struct Peers {
    limits: PeerLimits,
    table: Mutex<HashMap<IpAddr, Peer>>,
}

/// A connection that may be served: release it by dropping it.
#[derive(Debug)]
pub struct Pass {
    peers: Arc<Peers>,
    ip: Option<IpAddr>,
    wait: Duration,
}

/// The address already has `max_per_peer` connections open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit;

impl Peers {
    /// Empty bookkeeping under `limits`.
    pub fn new(limits: PeerLimits) -> Arc<Self> {
        Arc::new(Peers { limits, table: Mutex::new(HashMap::new()) })
    }

    /// Admits a new connection from `ip` (`None`: a Unix socket, not
    /// tracked), or refuses it when the address is at its cap.
    pub fn admit(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<Pass, OverLimit> {
        let Some(ip) = ip else { return Ok(Pass { peers: self.clone(), ip: None, wait: Duration::ZERO }) };
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let peer = table.entry(ip).or_insert(Peer { open: 0, failures: 0, last_failure: now, next_turn: now });
        if peer.failures > 0 && now.duration_since(peer.last_failure) > self.limits.forget_after {
            peer.failures = 0;
        }
        let capped = !(self.limits.exempt_loopback && ip.is_loopback());
        if capped && peer.open >= self.limits.max_per_peer {
            return Err(OverLimit);
        }
        peer.open += 1;
        let mut wait = Duration::ZERO;
        if peer.failures >= self.limits.free_failures {
            let turn = peer.next_turn.max(now);
            peer.next_turn = turn + self.limits.guess_interval;
            wait = turn - now;
        }
        Ok(Pass { peers: self.clone(), ip: Some(ip), wait })
    }

    /// Failed hellos currently held against `ip`.
    pub fn failures(&self, ip: IpAddr) -> u32 {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).get(&ip).map_or(0, |p| p.failures)
    }

    /// Connections `ip` has open.
    pub fn open(&self, ip: IpAddr) -> usize {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).get(&ip).map_or(0, |p| p.open)
    }
}

impl Pass {
    /// How long to hold the connection before serving it (auth back-off).
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// Records how the session ended: a refused token counts against the
    /// address.
    pub fn ended(&self, end: SessionEnd) {
        let Some(ip) = self.ip else { return };
        if !matches!(end, SessionEnd::Refused(ErrorCode::AuthFailed | ErrorCode::AuthRequired)) {
            return;
        }
        let now = Instant::now();
        let mut table = self.peers.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(peer) = table.get_mut(&ip) {
            peer.failures = peer.failures.saturating_add(1);
            peer.last_failure = now;
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let forget_after = self.peers.limits.forget_after;
        let mut table = self.peers.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(peer) = table.get_mut(&ip) {
            peer.open -= 1;
            // Bounded table: an address with nothing open and nothing held
            // against it is forgotten.
            let stale = peer.failures == 0 || Instant::now().duration_since(peer.last_failure) > forget_after;
            if peer.open == 0 && stale {
                table.remove(&ip);
            }
        }
    }
}

/// The `too_many_sessions` line sent to a connection over its address's cap
/// (the same error the server sends when all its sessions are taken).
pub fn over_limit_line(max_per_peer: usize) -> Vec<u8> {
    let mut buf = [0u8; 160];
    let mut out = aimx::wire::JsonOut::new(&mut buf);
    let message = |o: &mut aimx::wire::JsonOut| {
        o.str_fmt(format_args!("this address already has {max_per_peer} connections open"))
    };
    aimx::wire::reply::error(&mut out, aimx::wire::Wire::V1, None, ErrorCode::TooManySessions, message)
        .expect("a short message fits 160 bytes");
    out.as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REMOTE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    #[test]
    fn the_cap_counts_open_connections_per_address() {
        let peers = Peers::new(PeerLimits { max_per_peer: 2, ..PeerLimits::default() });
        let a = peers.admit(Some(REMOTE)).unwrap();
        let _b = peers.admit(Some(REMOTE)).unwrap();
        assert_eq!(peers.admit(Some(REMOTE)).unwrap_err(), OverLimit);
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 8));
        assert!(peers.admit(Some(other)).is_ok(), "another address is not affected");
        drop(a);
        assert!(peers.admit(Some(REMOTE)).is_ok());
        let local = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
        let held: Vec<_> = (0..5).map(|_| peers.admit(Some(local)).unwrap()).collect();
        assert_eq!(peers.open(local), held.len(), "loopback is exempt by default");
    }

    #[test]
    fn after_the_free_failures_connections_take_turns() {
        let limits =
            PeerLimits { guess_interval: Duration::from_millis(100), free_failures: 3, ..PeerLimits::default() };
        let peers = Peers::new(limits);
        for _ in 0..3 {
            let pass = peers.admit(Some(REMOTE)).unwrap();
            assert_eq!(pass.wait(), Duration::ZERO);
            pass.ended(SessionEnd::Refused(ErrorCode::AuthFailed));
        }
        assert_eq!(peers.failures(REMOTE), 3);
        // Ten connections at once: each waits one interval longer.
        let passes: Vec<_> = (0..10).map(|_| peers.admit(Some(REMOTE)).unwrap()).collect();
        let last = passes.last().unwrap().wait();
        assert!(last >= Duration::from_millis(850) && last <= Duration::from_millis(900), "{last:?}");
        // A session that ends otherwise does not count.
        passes[0].ended(SessionEnd::PeerClosed);
        assert_eq!(peers.failures(REMOTE), 3);
    }
}
