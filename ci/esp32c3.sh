#!/usr/bin/env bash
# Builds (does not flash) the ESP32-C3 example: aimx over USB-serial-JTAG on
# riscv32imc (no compare-and-swap) with esp-hal 1.x and Embassy, on stable.
set -euo pipefail
cd "$(dirname "$0")/../examples/esp32c3"
rustup target add riscv32imc-unknown-none-elf
cargo build --release
