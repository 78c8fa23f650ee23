#!/usr/bin/env bash
# The API docs build without a warning (broken or ambiguous links, missing
# docs), with every feature so the embassy adapter's USB, TCP and executor
# pieces are documented too.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features
# The smallest MCU build's docs too (v1 only, no extensions): a doc link to
# an item only some features build breaks there.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p aimx --target thumbv7em-none-eabihf --no-default-features
