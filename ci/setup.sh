#!/usr/bin/env bash
# Installs what CI needs on a fresh machine.
set -euo pipefail
rustup component add rustfmt clippy
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi
