#!/usr/bin/env bash
# The benchmarks must keep compiling; running them is by hand (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p aimx-bench --no-run
