//! The footprint baseline: the firmware's runtime (executor, SysTick time
//! driver, both UART drivers, stack paint, a 10 Hz task) with no AimX. Each
//! UART echoes what it receives. `firmware` minus this is what AimX costs.
#![no_std]
#![no_main]

use aimx_firmware_qemu::{stack, time_driver, uart};
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m_rt::exception;
use embassy_executor::Spawner;
use embassy_time::{Duration, Ticker};
use embedded_io_async::{Read, Write};

static TICKS: AtomicU32 = AtomicU32::new(0);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    stack::paint();
    let core = cortex_m::Peripherals::take().unwrap();
    time_driver::init(core.SYST);
    spawner.spawn(tick().unwrap());
    let a = echo(uart::UART0.init());
    let b = echo(uart::UART1.init());
    embassy_futures_join(a, b).await;
}

/// Stands in for the sensor task.
#[embassy_executor::task]
async fn tick() {
    let mut t = Ticker::every(Duration::from_millis(100));
    loop {
        t.next().await;
        TICKS.fetch_add(1, Ordering::Relaxed);
    }
}

async fn echo(mut port: uart::Port) {
    let mut buf = [0u8; 64];
    loop {
        let Ok(n) = port.read(&mut buf).await;
        if buf[..n].starts_with(b"?") {
            // The footprint script asks for the stack high-water mark.
            let start = decimal(stack::high_water(), &mut buf);
            let _ = port.write_all(&buf[start..]).await;
        } else {
            let _ = port.write_all(&buf[..n]).await;
        }
    }
}

/// `n` in decimal and a newline, at the end of `buf`; returns where it starts.
fn decimal(mut n: usize, buf: &mut [u8; 64]) -> usize {
    let mut i = buf.len() - 1;
    buf[i] = b'\n';
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

/// Polls two futures until both finish (no extra dependency for a join).
async fn embassy_futures_join(a: impl core::future::Future<Output = ()>, b: impl core::future::Future<Output = ()>) {
    let mut a = core::pin::pin!(a);
    let mut b = core::pin::pin!(b);
    let (mut a_done, mut b_done) = (false, false);
    core::future::poll_fn(|cx| {
        a_done |= a.as_mut().poll(cx).is_ready();
        b_done |= b.as_mut().poll(cx).is_ready();
        if a_done && b_done {
            core::task::Poll::Ready(())
        } else {
            core::task::Poll::Pending
        }
    })
    .await
}

#[exception]
fn SysTick() {
    time_driver::on_tick();
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    uart::on_interrupt(irqn);
}
