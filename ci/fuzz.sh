#!/usr/bin/env bash
# Fuzz smoke: the line parser and the session for FUZZ_SECONDS (default 50)
# each, the scanner's member walker and the unescaper (small, fast targets)
# for FUZZ_SECONDS_SMALL (default 15) each, from the seed corpus. Longer runs
# and other sanitizers: see docs/performance.md.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${FUZZ_SECONDS:-50}"
small="${FUZZ_SECONDS_SMALL:-15}"
# CI builds without ASan to stay within budget; the long runs use address.
sanitizer="${FUZZ_SANITIZER:-none}"

# cargo fuzz needs nightly (for -Zsanitizer and libFuzzer's coverage flags).
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

./make-corpus.sh
cargo +nightly fuzz build --sanitizer "$sanitizer"
for run in line_parser:$secs session:$secs members:$small unescape:$small; do
    target=${run%%:*} t=${run#*:}
    echo "== fuzzing $target for ${t}s"
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$t" -rss_limit_mb=2048 -print_final_stats=1
done
