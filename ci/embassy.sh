#!/usr/bin/env bash
# The embassy adapter (no_std, no alloc) for Cortex-M4F, with and without its
# optional parts, and the STM32 USB CDC-ACM firmware example, which must link.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add thumbv7em-none-eabihf
rustup component add clippy
cargo check -p aimx-embassy --target thumbv7em-none-eabihf
cargo clippy -p aimx-embassy --target thumbv7em-none-eabihf --features usb,net,executor -- -D warnings
(cd examples/stm32-usb && cargo build --release)
