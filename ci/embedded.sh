#!/usr/bin/env bash
# The core must compile with no std and no alloc on Cortex-M4F and Cortex-M0+.
# thumbv6m has no compare-and-swap: atomics go through critical-section.
# (`check` proves it compiles; the firmware steps link real binaries.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo check -p aimx --target thumbv6m-none-eabi --features critical-section
cargo clippy -p aimx --target thumbv7em-none-eabihf -- -D warnings
# The smallest build: v1 only, without the drain/graph/schema extensions.
cargo clippy -p aimx --target thumbv7em-none-eabihf --no-default-features -- -D warnings
