#!/usr/bin/env bash
# Fuzz smoke: each cargo-fuzz target for FUZZ_SECONDS (default 60) from the
# seed corpus. Longer runs and other sanitizers: see docs/performance.md.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${FUZZ_SECONDS:-60}"
# CI builds without ASan to stay within budget; the long runs use address.
sanitizer="${FUZZ_SANITIZER:-none}"

# cargo fuzz needs nightly (for -Zsanitizer and libFuzzer's coverage flags).
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

./make-corpus.sh
cargo +nightly fuzz build --sanitizer "$sanitizer"
for target in line_parser session; do
    echo "== fuzzing $target for ${secs}s"
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1
done
