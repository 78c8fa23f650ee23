//! A byte stream over an embassy-usb CDC-ACM port (a virtual serial port).
//!
//! embassy-usb's `Sender` writes one packet per call and its `flush` sends
//! nothing. USB ends a bulk transfer at a packet shorter than the maximum,
//! so a reply ending exactly on a full packet stays in the host's cdc-acm
//! driver until more data comes. [`CdcAcmStream`] remembers whether the last
//! packet was full and sends a zero-length packet on `flush`.

use embassy_usb::class::cdc_acm::{BufferedReceiver, CdcAcmClass, CdcAcmError, Sender};
use embassy_usb::driver::{Driver, EndpointError};
use embedded_io_async::{ErrorType, Read, Write};

/// A CDC-ACM port as one `Read + Write` stream; serve it with
/// `aimx::Link` (the port is never "closed", only disconnected).
///
/// Reads are cancel-safe (`BufferedReceiver` keeps a partly read packet).
/// While the USB host has not configured the port, a read waits for it and
/// then fails, so the session ends and the next one starts on a fresh
/// connection, without spinning.
pub struct CdcAcmStream<'d, D: Driver<'d>> {
    rx: BufferedReceiver<'d, D>,
    tx: Sender<'d, D>,
    /// The last packet sent was full: the transfer is still open.
    open_transfer: bool,
}

impl<'d, D: Driver<'d>> CdcAcmStream<'d, D> {
    /// Wraps `class`; `rx_buf` holds one packet (at least the max packet size).
    pub fn new(class: CdcAcmClass<'d, D>, rx_buf: &'d mut [u8]) -> Self {
        let (tx, rx) = class.split();
        Self::from_parts(tx, rx.into_buffered(rx_buf))
    }

    /// Combines halves split off a `CdcAcmClass`.
    pub fn from_parts(tx: Sender<'d, D>, rx: BufferedReceiver<'d, D>) -> Self {
        CdcAcmStream { rx, tx, open_transfer: false }
    }

    /// Waits until the USB host has configured the port.
    pub async fn wait_connection(&mut self) {
        self.rx.wait_connection().await;
        self.tx.wait_connection().await;
    }

    fn packet_sent(&mut self, result: Result<(), EndpointError>, len: usize) -> Result<(), CdcAcmError> {
        self.open_transfer = result.is_ok() && len == usize::from(self.tx.max_packet_size());
        result.map_err(|_| CdcAcmError::NotConnected)
    }
}

impl<'d, D: Driver<'d>> ErrorType for CdcAcmStream<'d, D> {
    type Error = CdcAcmError;
}

impl<'d, D: Driver<'d>> Read for CdcAcmStream<'d, D> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, CdcAcmError> {
        let result = self.rx.read(buf).await;
        if result.is_err() {
            // Disconnected: fail only once the host is back, else a `Link`
            // would restart sessions in a busy loop.
            self.wait_connection().await;
        }
        result
    }
}

impl<'d, D: Driver<'d>> Write for CdcAcmStream<'d, D> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, CdcAcmError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let len = buf.len().min(usize::from(self.tx.max_packet_size()));
        let result = self.tx.write_packet(&buf[..len]).await;
        self.packet_sent(result, len)?;
        Ok(len)
    }

    async fn flush(&mut self) -> Result<(), CdcAcmError> {
        if self.open_transfer {
            // A zero-length packet ends the transfer, so the host hands the
            // bytes to the reader now.
            let result = self.tx.write_packet(&[]).await;
            self.packet_sent(result, 0)?;
        }
        Ok(())
    }
}
