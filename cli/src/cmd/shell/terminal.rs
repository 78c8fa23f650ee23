//! Leaving the terminal as it was found. The line editor switches the
//! terminal to raw mode while a line is edited, and its thread cannot be
//! woken when the connection ends; so the settings are saved before it
//! starts and put back when the shell returns.

use nix::sys::termios::{tcgetattr, tcsetattr, SetArg, Termios};

pub struct Restore(Option<Termios>);

impl Restore {
    pub fn save() -> Self {
        Restore(tcgetattr(std::io::stdin()).ok())
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(settings) = &self.0 {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSADRAIN, settings);
        }
        // Clear the half-typed prompt line and turn bracketed paste back off.
        print!("\r\x1b[K\x1b[?2004l");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
}
