//! Stack high-water mark: paint the free stack at boot with a pattern, later
//! find the lowest word that no longer holds it.

const PAINT: u32 = 0xA5A5_A5A5;

extern "C" {
    static mut _stack_end: u32; // lowest stack address (end of .bss/.uninit)
    static mut _stack_start: u32; // top of RAM, where the stack begins
}

fn bounds() -> (*mut u32, *mut u32) {
    // Only the symbols' addresses are taken, never their values.
    (&raw mut _stack_end, &raw mut _stack_start)
}

/// Bytes reserved for the stack (all RAM above the statics).
pub fn size() -> usize {
    let (low, high) = bounds();
    high as usize - low as usize
}

/// Paints from the bottom of the stack up to just below the current frame.
/// Call first thing in `main`.
#[inline(never)]
pub fn paint() {
    let (low, _) = bounds();
    let here = cortex_m::register::msp::read() as usize - 256;
    let mut p = low;
    while (p as usize) < here {
        // SAFETY: between the end of the statics and below the live stack.
        unsafe { p.write_volatile(PAINT) };
        p = p.wrapping_add(1);
    }
}

/// The most stack ever used, in bytes, since `paint`.
pub fn high_water() -> usize {
    let (low, high) = bounds();
    let mut p = low;
    // SAFETY: reads within the stack region.
    while p < high && unsafe { p.read_volatile() } == PAINT {
        p = p.wrapping_add(1);
    }
    high as usize - p as usize
}
