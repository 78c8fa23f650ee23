#!/usr/bin/env bash
# Installs what CI needs on a fresh machine: Rust targets and components,
# and QEMU + ARM binutils for the firmware steps.
set -euo pipefail
rustup component add rustfmt clippy
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi
packages="qemu-system-arm binutils-arm-none-eabi"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing || { apt-get update && apt-get install -y --no-install-recommends $missing; }
fi
