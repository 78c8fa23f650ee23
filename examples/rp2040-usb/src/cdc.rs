//! The CDC-ACM port as one `Read + Write` stream.
//!
//! embassy-usb's `Sender` sends no zero-length packet on flush, so Linux's
//! cdc-acm holds a reply that ends on a full 64-byte packet until more data
//! comes. This sender remembers whether the last packet was full and ends
//! such a transfer with an empty packet on flush.

use embassy_rp::peripherals::USB;
use embassy_rp::usb::Driver;
use embassy_usb::class::cdc_acm::{BufferedReceiver, Sender};
use embassy_usb::driver::EndpointError;

/// The receiver and sender of one CDC-ACM class.
pub struct CdcPort<'d> {
    pub rx: BufferedReceiver<'d, Driver<'d, USB>>,
    pub tx: Sender<'d, Driver<'d, USB>>,
    pub last_full: bool,
}

/// A USB error as an `embedded_io` error (the host went away, mostly).
#[derive(Debug)]
pub struct UsbError;

impl core::fmt::Display for UsbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("USB endpoint error (host gone?)")
    }
}

impl core::error::Error for UsbError {}

impl embedded_io_async::Error for UsbError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        embedded_io_async::ErrorKind::BrokenPipe
    }
}

impl From<EndpointError> for UsbError {
    fn from(_: EndpointError) -> Self {
        UsbError
    }
}

impl embedded_io_async::ErrorType for CdcPort<'_> {
    type Error = UsbError;
}

impl embedded_io_async::Read for CdcPort<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, UsbError> {
        embedded_io_async::Read::read(&mut self.rx, buf).await.map_err(|_| UsbError)
    }
}

impl embedded_io_async::Write for CdcPort<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, UsbError> {
        let max = usize::from(self.tx.max_packet_size());
        let n = buf.len().min(max);
        self.tx.write_packet(&buf[..n]).await?;
        self.last_full = n == max;
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), UsbError> {
        if core::mem::take(&mut self.last_full) {
            self.tx.write_packet(&[]).await?;
        }
        Ok(())
    }
}
