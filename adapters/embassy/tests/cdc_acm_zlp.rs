//! A CDC-ACM reply that ends on a full packet must be followed by a
//! zero-length packet on flush, or the host holds it back. Checked against a
//! fake embassy-usb driver that records every packet the bulk IN endpoint
//! sends.
#![cfg(feature = "usb")]

use std::sync::{Arc, Mutex};

use aimx_embassy::CdcAcmStream;
use embassy_usb::class::cdc_acm::{CdcAcmClass, State};
use embassy_usb::driver::{
    Bus, ControlPipe, Direction, Driver, Endpoint, EndpointAddress, EndpointAllocError, EndpointError, EndpointIn,
    EndpointInfo, EndpointOut, EndpointType, Event, Unsupported,
};
use embedded_io_async::Write;
use futures_lite::future::block_on;

type Packets = Arc<Mutex<Vec<Vec<u8>>>>;

struct FakeDriver {
    packets: Packets,
    next_index: usize,
}

struct FakeIn {
    info: EndpointInfo,
    /// Only the bulk data endpoint records; the notification endpoint does not.
    packets: Option<Packets>,
}

struct FakeOut {
    info: EndpointInfo,
}

/// Never started: the test uses the class without running the device.
struct Unused;

impl FakeDriver {
    fn info(&mut self, dir: Direction, ep_type: EndpointType, max_packet_size: u16, interval_ms: u8) -> EndpointInfo {
        self.next_index += 1;
        EndpointInfo { addr: EndpointAddress::from_parts(self.next_index, dir), ep_type, max_packet_size, interval_ms }
    }
}

impl<'a> Driver<'a> for FakeDriver {
    type EndpointOut = FakeOut;
    type EndpointIn = FakeIn;
    type ControlPipe = Unused;
    type Bus = Unused;

    fn alloc_endpoint_out(
        &mut self,
        ep_type: EndpointType,
        _addr: Option<EndpointAddress>,
        max_packet_size: u16,
        interval_ms: u8,
    ) -> Result<FakeOut, EndpointAllocError> {
        Ok(FakeOut { info: self.info(Direction::Out, ep_type, max_packet_size, interval_ms) })
    }

    fn alloc_endpoint_in(
        &mut self,
        ep_type: EndpointType,
        _addr: Option<EndpointAddress>,
        max_packet_size: u16,
        interval_ms: u8,
    ) -> Result<FakeIn, EndpointAllocError> {
        let packets = (ep_type == EndpointType::Bulk).then(|| self.packets.clone());
        Ok(FakeIn { info: self.info(Direction::In, ep_type, max_packet_size, interval_ms), packets })
    }

    fn start(self, _control_max_packet_size: u16) -> (Unused, Unused) {
        (Unused, Unused)
    }
}

impl Endpoint for FakeIn {
    fn info(&self) -> &EndpointInfo {
        &self.info
    }
    async fn wait_enabled(&mut self) {}
}

impl EndpointIn for FakeIn {
    async fn write(&mut self, buf: &[u8]) -> Result<(), EndpointError> {
        assert!(buf.len() <= usize::from(self.info.max_packet_size), "packet larger than the endpoint's");
        self.packets.as_ref().expect("data written to the notification endpoint").lock().unwrap().push(buf.to_vec());
        Ok(())
    }
}

impl Endpoint for FakeOut {
    fn info(&self) -> &EndpointInfo {
        &self.info
    }
    async fn wait_enabled(&mut self) {}
}

impl EndpointOut for FakeOut {
    async fn read(&mut self, _buf: &mut [u8]) -> Result<usize, EndpointError> {
        core::future::pending().await
    }
}

impl Bus for Unused {
    async fn enable(&mut self) {}
    async fn disable(&mut self) {}
    async fn poll(&mut self) -> Event {
        core::future::pending().await
    }
    fn endpoint_set_enabled(&mut self, _ep_addr: EndpointAddress, _enabled: bool) {}
    fn endpoint_set_stalled(&mut self, _ep_addr: EndpointAddress, _stalled: bool) {}
    fn endpoint_is_stalled(&mut self, _ep_addr: EndpointAddress) -> bool {
        false
    }
    async fn remote_wakeup(&mut self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
}

impl ControlPipe for Unused {
    fn max_packet_size(&self) -> usize {
        64
    }
    async fn setup(&mut self) -> [u8; 8] {
        core::future::pending().await
    }
    async fn data_out(&mut self, _buf: &mut [u8], _first: bool, _last: bool) -> Result<usize, EndpointError> {
        Err(EndpointError::Disabled)
    }
    async fn data_in(&mut self, _data: &[u8], _first: bool, _last: bool) -> Result<(), EndpointError> {
        Err(EndpointError::Disabled)
    }
    async fn accept(&mut self) {}
    async fn reject(&mut self) {}
    async fn accept_set_address(&mut self, _addr: u8) {}
}

/// Writes each reply with `write_all` + `flush`, as a session does, and
/// returns the packet sizes the host would see.
fn packets_for(replies: &[usize]) -> Vec<usize> {
    let packets = Packets::default();
    let driver = FakeDriver { packets: packets.clone(), next_index: 0 };
    // Declared before the builder, which borrows them for its whole life.
    let (mut config_desc, mut bos_desc, mut control_buf) = ([0u8; 256], [0u8; 256], [0u8; 64]);
    let mut state = State::new();
    let mut rx_buf = [0u8; 64];
    let mut builder = embassy_usb::Builder::new(
        driver,
        embassy_usb::Config::new(0xc0de, 0xcafe),
        &mut config_desc,
        &mut bos_desc,
        &mut [],
        &mut control_buf,
    );
    let class = CdcAcmClass::new(&mut builder, &mut state, 64);
    let mut stream = CdcAcmStream::new(class, &mut rx_buf);
    block_on(async {
        for &len in replies {
            stream.write_all(&vec![b'x'; len]).await.unwrap();
            stream.flush().await.unwrap();
        }
    });
    let sizes = packets.lock().unwrap().iter().map(Vec::len).collect();
    sizes
}

#[test]
fn exactly_one_full_packet_is_ended_by_a_zero_length_packet() {
    assert_eq!(packets_for(&[64]), [64, 0]);
}

#[test]
fn a_multiple_of_the_packet_size_gets_one_zero_length_packet() {
    assert_eq!(packets_for(&[128]), [64, 64, 0]);
}

#[test]
fn a_short_last_packet_ends_the_transfer_by_itself() {
    assert_eq!(packets_for(&[63]), [63]);
    assert_eq!(packets_for(&[65]), [64, 1]);
}

#[test]
fn flushing_twice_or_with_nothing_written_sends_nothing_more() {
    assert_eq!(packets_for(&[64, 0, 10]), [64, 0, 10]);
}
