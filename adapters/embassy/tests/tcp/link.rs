//! An in-memory point-to-point IP link between two embassy-net stacks in one
//! process: each end is an `embassy_net_driver::Driver` with `Medium::Ip`
//! (so no ARP), each direction a small bounded queue of packets.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};

use embassy_net_driver::{Capabilities, Driver, HardwareAddress, LinkState, RxToken, TxToken};

const MTU: usize = 1500;
/// Packets in flight per direction. A full queue makes `transmit` wait
/// instead of dropping, so no test depends on TCP's retransmission timer.
const QUEUE: usize = 8;

#[derive(Default)]
struct Queue {
    packets: VecDeque<Vec<u8>>,
    /// The receiving end, waiting for a packet.
    reader: Option<Waker>,
    /// The sending end, waiting for room.
    writer: Option<Waker>,
}

type Shared = Arc<Mutex<Queue>>;

/// One end of the link.
pub struct End {
    rx: Shared,
    tx: Shared,
    /// Set: the link is cut, every packet sent is lost (a peer that lost
    /// power or its cable: no FIN, no RST).
    cut: Arc<AtomicBool>,
}

/// Two connected ends, and the switch that cuts the link between them.
pub fn pair() -> (End, End, Arc<AtomicBool>) {
    let (a, b) = (Shared::default(), Shared::default());
    let cut = Arc::new(AtomicBool::new(false));
    (End { rx: a.clone(), tx: b.clone(), cut: cut.clone() }, End { rx: b, tx: a, cut: cut.clone() }, cut)
}

pub struct Rx(Vec<u8>);

pub struct Tx<'a>(&'a Shared, &'a AtomicBool);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(mut self, f: F) -> R {
        f(&mut self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = vec![0; len];
        let result = f(&mut packet);
        if self.1.load(Ordering::SeqCst) {
            return result;
        }
        let mut queue = self.0.lock().unwrap();
        queue.packets.push_back(packet);
        if let Some(reader) = queue.reader.take() {
            reader.wake();
        }
        result
    }
}

impl Driver for End {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    // The reply token handed out with a packet may exceed `QUEUE` by one:
    // making `receive` wait for room could deadlock two ends that are both full.
    fn receive(&mut self, cx: &mut Context) -> Option<(Rx, Tx<'_>)> {
        let mut queue = self.rx.lock().unwrap();
        let Some(packet) = queue.packets.pop_front() else {
            queue.reader = Some(cx.waker().clone());
            return None;
        };
        if let Some(writer) = queue.writer.take() {
            writer.wake();
        }
        Some((Rx(packet), Tx(&self.tx, &self.cut)))
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<Tx<'_>> {
        let mut queue = self.tx.lock().unwrap();
        if queue.packets.len() < QUEUE {
            return Some(Tx(&self.tx, &self.cut));
        }
        queue.writer = Some(cx.waker().clone());
        None
    }

    fn link_state(&mut self, _cx: &mut Context) -> LinkState {
        LinkState::Up
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MTU;
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ip
    }
}
