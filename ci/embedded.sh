#!/usr/bin/env bash
# The core must build with no std and no alloc on Cortex-M4F and Cortex-M0+.
# thumbv6m has no compare-and-swap: atomics go through critical-section.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p aimx --release --target thumbv7em-none-eabihf
cargo build -p aimx --release --target thumbv6m-none-eabi --features critical-section
cargo clippy -p aimx --target thumbv7em-none-eabihf -- -D warnings
