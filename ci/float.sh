#!/usr/bin/env bash
# The float path against core's formatter and parser over 10^6 random f32
# values and 10^6 random decimals (the default test run checks 20,000).
# Release build: about 25 s of testing on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p aimx --lib wire::value::float -- --ignored
