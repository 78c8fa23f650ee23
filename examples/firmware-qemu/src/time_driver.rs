//! An embassy-time driver for the mps2 boards (no HAL covers them): time is
//! read from the free-running 32-bit CMSDK TIMER0 at the 25 MHz CPU clock,
//! and a 1 kHz SysTick wakes expired timers.
//!
//! Time is not counted in SysTick interrupts: under emulation on a busy host
//! ticks that fall due while the vCPU is descheduled coalesce into one
//! interrupt, and such a clock ran at 40% of real time.

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The mps2-an386 CPU clock.
const CPU_HZ: u32 = 25_000_000;

/// CMSDK APB TIMER0: CTRL, VALUE (counts down), RELOAD.
const TIMER0: usize = 0x4000_0000;

struct SysTickDriver {
    /// The last raw TIMER0 value read and the cycles counted up to it.
    cycles: Mutex<Cell<(u32, u64)>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    cycles: Mutex::new(Cell::new((u32::MAX, 0))),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl SysTickDriver {
    /// Cycles since boot. Called at least every 171 s (one TIMER0 wrap) by
    /// the tick, so no wrap goes unseen.
    fn ticks(&self, cs: critical_section::CriticalSection<'_>) -> u64 {
        // SAFETY: TIMER0's VALUE register.
        let raw = unsafe { ((TIMER0 + 4) as *const u32).read_volatile() };
        let cell = self.cycles.borrow(cs);
        let (last, total) = cell.get();
        let total = total + u64::from(last.wrapping_sub(raw));
        cell.set((raw, total));
        total / u64::from(CPU_HZ / embassy_time_driver::TICK_HZ as u32)
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks(cs))
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let now = self.ticks(cs);
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Wakes what is already due; later ones fire on a tick.
                queue.next_expiration(now);
            }
        });
    }
}

/// Starts TIMER0 free-running and the 1 kHz tick.
pub fn init(mut syst: cortex_m::peripheral::SYST) {
    // SAFETY: TIMER0's RELOAD, VALUE and CTRL (bit 0: enable).
    unsafe {
        ((TIMER0 + 8) as *mut u32).write_volatile(u32::MAX);
        ((TIMER0 + 4) as *mut u32).write_volatile(u32::MAX);
        (TIMER0 as *mut u32).write_volatile(1);
    }
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CPU_HZ / embassy_time_driver::TICK_HZ as u32 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Called from the `SysTick` exception handler.
pub fn on_tick() {
    critical_section::with(|cs| {
        let now = DRIVER.ticks(cs);
        DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
    });
}
