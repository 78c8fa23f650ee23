#!/usr/bin/env bash
# Installs what CI needs on a fresh machine: Rust targets and components,
# QEMU + ARM binutils for the firmware steps, and the mosquitto MQTT broker
# that the aimx-bridge tests start for themselves.
set -euo pipefail
rustup component add rustfmt clippy
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imc-unknown-none-elf
packages="qemu-system-arm binutils-arm-none-eabi mosquitto mosquitto-clients"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing || { apt-get update && apt-get install -y --no-install-recommends $missing; }
fi
