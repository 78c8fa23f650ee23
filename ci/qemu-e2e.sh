#!/usr/bin/env bash
# Builds the firmware, then runs the end-to-end test (tests-qemu/) against it
# in QEMU. The test boots and kills QEMU itself; the trap is a second net.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-system-arm >/dev/null || apt-get install -y qemu-system-arm
rustup target add thumbv7em-none-eabihf
(cd examples/firmware-qemu && cargo build --release)
# CI shares one target dir (CARGO_TARGET_DIR); by hand the crate has its own.
export AIMX_FIRMWARE_ELF=$(realpath -m "${CARGO_TARGET_DIR:-examples/firmware-qemu/target}")/thumbv7em-none-eabihf/release/firmware
# Built first, then run under a trap that stops any QEMU this run started.
(cd tests-qemu && cargo test --no-run)
export AIMX_QEMU_PIDFILE=$(mktemp)
trap 'kill "$(cat "$AIMX_QEMU_PIDFILE")" 2>/dev/null || true; rm -f "$AIMX_QEMU_PIDFILE"' EXIT
(cd tests-qemu && cargo test -- --nocapture)
