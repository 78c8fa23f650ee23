//! What the AimX firmware and its no-AimX baseline share: the UART driver,
//! the SysTick time driver, stack painting and the panic handler.
#![no_std]

pub mod stack;
pub mod time_driver;
pub mod uart;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // A fault a debugger stops on; nothing on the UARTs to confuse a client.
    cortex_m::asm::udf()
}
