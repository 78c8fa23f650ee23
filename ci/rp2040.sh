#!/usr/bin/env bash
# Builds (does not run) the RP2040 USB CDC-ACM example: aimx with the
# critical-section feature on thumbv6m, with a real HAL (embassy-rp).
set -euo pipefail
cd "$(dirname "$0")/../examples/rp2040-usb"
rustup target add thumbv6m-none-eabi
cargo build --release
