#!/usr/bin/env bash
# Builds the QEMU firmware and boots it on mps2-an386 with UART0 and UART1 as
# TCP servers on 127.0.0.1. A client may disconnect and connect again; the
# device keeps running. Runs until killed.
#   ci/qemu-run.sh --uart0 7000 --uart1 7001     then: nc 127.0.0.1 7000
set -euo pipefail
cd "$(dirname "$0")/.."
uart0=7000 uart1=7001 elf=firmware
while [ $# -gt 0 ]; do
  case "$1" in
    --uart0) uart0=$2; shift 2 ;;
    --uart1) uart1=$2; shift 2 ;;
    --baseline) elf=baseline; shift ;;   # the no-AimX echo firmware
    *) echo "usage: $0 --uart0 PORT --uart1 PORT [--baseline]" >&2; exit 2 ;;
  esac
done
command -v qemu-system-arm >/dev/null || apt-get install -y qemu-system-arm >&2
rustup target add thumbv7em-none-eabihf >&2
(cd examples/firmware-qemu && cargo build --release >&2)
exec qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -monitor none \
  -serial "tcp:127.0.0.1:$uart0,server=on,wait=off" \
  -serial "tcp:127.0.0.1:$uart1,server=on,wait=off" \
  -kernel "$(realpath -m "${CARGO_TARGET_DIR:-examples/firmware-qemu/target}")/thumbv7em-none-eabihf/release/$elf"
