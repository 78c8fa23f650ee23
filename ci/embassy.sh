#!/usr/bin/env bash
# Embassy: the adapter (every feature) and the STM32 USB CDC-ACM firmware
# must build for Cortex-M4F with no std and no alloc. The firmware links
# without a global allocator, so any use of alloc would fail here.
# (Host tests of the adapter run in `cargo test --workspace`.)
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add thumbv7em-none-eabihf
rustup component add clippy
for features in "" "usb,net,executor"; do
    cargo build -p aimx-embassy --release --target thumbv7em-none-eabihf --features "$features"
done
cargo clippy -p aimx-embassy --target thumbv7em-none-eabihf --features usb,net,executor -- -D warnings
(cd examples/stm32-usb && cargo build --release)
