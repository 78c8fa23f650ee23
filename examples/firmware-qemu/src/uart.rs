//! An interrupt-driven driver for the CMSDK APB UART of the mps2 boards,
//! implementing `embedded_io_async::{Read, Write}`.
//!
//! Interrupt-driven rather than polling with yields: a polling driver keeps
//! the executor spinning, so QEMU (and a real MCU) never sleeps and burns a
//! whole host core. Here an idle device sits in `WFE` until a byte arrives,
//! the transmitter frees up or the tick fires.
//!
//! `read` is cancel-safe (the server drops it when an event is ready): it
//! only takes bytes out of the data register once it is sure to return them.

use core::cell::RefCell;
use core::future::poll_fn;
use core::ptr::{read_volatile, write_volatile};
use core::task::{Poll, Waker};

use critical_section::Mutex;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const INTCLEAR: usize = 0x0C;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
const CTRL_TX_INT: u32 = 1 << 2;
const CTRL_RX_INT: u32 = 1 << 3;

/// One UART: its registers, its NVIC lines and the tasks waiting on it.
pub struct Uart {
    base: usize,
    /// RX interrupt number; TX is the next one (QEMU's mps2 wiring).
    rx_irq: u16,
    rx_waker: Mutex<RefCell<Option<Waker>>>,
    tx_waker: Mutex<RefCell<Option<Waker>>>,
}

/// UART0 at 0x4000_4000, IRQs 0 (RX) and 1 (TX).
pub static UART0: Uart = Uart::new(0x4000_4000, 0);
/// UART1 at 0x4000_5000, IRQs 2 (RX) and 3 (TX).
pub static UART1: Uart = Uart::new(0x4000_5000, 2);

#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: the numbers are real interrupt lines of the mps2-an386.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

impl Uart {
    const fn new(base: usize, rx_irq: u16) -> Self {
        Uart { base, rx_irq, rx_waker: Mutex::new(RefCell::new(None)), tx_waker: Mutex::new(RefCell::new(None)) }
    }

    fn reg(&self, offset: usize) -> *mut u32 {
        (self.base + offset) as *mut u32
    }

    fn get(&self, offset: usize) -> u32 {
        // SAFETY: a valid, aligned MMIO register of this UART.
        unsafe { read_volatile(self.reg(offset)) }
    }

    fn set(&self, offset: usize, value: u32) {
        // SAFETY: as above.
        unsafe { write_volatile(self.reg(offset), value) }
    }

    /// Enables transmitter and receiver (QEMU moves no bytes while the
    /// divider is below 16) and unmasks both interrupt lines.
    pub fn init(&'static self) -> Port {
        self.set(BAUDDIV, 16);
        self.set(CTRL, CTRL_TX_EN | CTRL_RX_EN);
        // SAFETY: the handlers only touch this driver's own state.
        unsafe {
            cortex_m::peripheral::NVIC::unmask(Irq(self.rx_irq));
            cortex_m::peripheral::NVIC::unmask(Irq(self.rx_irq + 1));
        }
        Port { uart: self }
    }

    fn enable_interrupt(&self, bit: u32) {
        critical_section::with(|_| self.set(CTRL, self.get(CTRL) | bit));
    }

    /// Called from the interrupt handler: acknowledge, mask (the waiting
    /// task re-enables what it still needs), wake.
    pub fn on_interrupt(&self) {
        critical_section::with(|cs| {
            self.set(INTCLEAR, 0b1111);
            self.set(CTRL, self.get(CTRL) & !(CTRL_TX_INT | CTRL_RX_INT));
            for waker in [&self.rx_waker, &self.tx_waker] {
                if let Some(w) = waker.borrow_ref_mut(cs).take() {
                    w.wake();
                }
            }
        });
    }

    /// Waits until `state & bit` is `want`, sleeping on `interrupt`.
    async fn wait(&self, bit: u32, want: u32, waker: &Mutex<RefCell<Option<Waker>>>, interrupt: u32) {
        poll_fn(|cx| {
            if self.get(STATE) & bit == want {
                return Poll::Ready(());
            }
            critical_section::with(|cs| *waker.borrow_ref_mut(cs) = Some(cx.waker().clone()));
            self.enable_interrupt(interrupt);
            // Re-check: the event may have come before the interrupt was on.
            if self.get(STATE) & bit == want {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Routes an interrupt number (from `DefaultHandler`) to its UART.
pub fn on_interrupt(irqn: i16) {
    match irqn {
        0 | 1 => UART0.on_interrupt(),
        2 | 3 => UART1.on_interrupt(),
        _ => {}
    }
}

/// An initialised UART as a byte stream.
pub struct Port {
    uart: &'static Uart,
}

impl embedded_io_async::ErrorType for Port {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for Port {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let u = self.uart;
        u.wait(STATE_RX_FULL, STATE_RX_FULL, &u.rx_waker, CTRL_RX_INT).await;
        // No await from here on: once a byte leaves the register it is returned.
        let mut n = 0;
        while n < buf.len() && u.get(STATE) & STATE_RX_FULL != 0 {
            buf[n] = u.get(DATA) as u8;
            n += 1;
        }
        Ok(n)
    }
}

impl embedded_io_async::Write for Port {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let u = self.uart;
        u.wait(STATE_TX_FULL, 0, &u.tx_waker, CTRL_TX_INT).await;
        let mut n = 0;
        while n < buf.len() && u.get(STATE) & STATE_TX_FULL == 0 {
            u.set(DATA, u32::from(buf[n]));
            n += 1;
        }
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        let u = self.uart;
        u.wait(STATE_TX_FULL, 0, &u.tx_waker, CTRL_TX_INT).await;
        Ok(())
    }
}
