#!/usr/bin/env bash
# Soak (by hand, not in CI): the demo producing at a high rate while the load
# generator loops through churn (random requests, re-hellos, abrupt
# disconnects), fan-out with gap accounting, and 200-session bursts.
#   bash ci/soak.sh [--minutes N] [--rate-hz N]
# Fails unless, at the end: RSS did not grow past the warm-up baseline
# (+1 MiB of allocator slack), no session is left open, and no round
# reported a failure or an accounting gap.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
rate=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --rate-hz) rate="$2"; shift 2 ;;
        *) echo "usage: ci/soak.sh [--minutes N] [--rate-hz N]" >&2; exit 2 ;;
    esac
done
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p aimx-demo
cargo build --release -p aimx-loadgen
out="$(mktemp -d /tmp/aimx-soak.XXXXXX)"
sock="$out/aimx.sock"
"$target/release/aimx-demo" --unix "$sock" --rate-hz "$rate" --max-sessions 512 > "$out/demo.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

lg() { "$target/release/aimx-loadgen" --unix "$sock" --server-pid "$pid" --results "$out/results.jsonl" "$@"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
round() {
    lg --seconds 20 --seed "$RANDOM" churn &&
        lg --source producer --subscribers 1,16 --seconds 5 fanout &&
        lg --sessions 200 --gets 10 sessions
}

echo "soak: demo pid $pid at $rate Hz for $minutes min; results in $out"
round > /dev/null || true # warm-up: allocator pools and tokio settle
sleep 2
base=$(rss_kib)
end=$((SECONDS + minutes * 60))
rounds=0
failed=0
while [ "$SECONDS" -lt "$end" ]; do
    rounds=$((rounds + 1))
    if ! round >> "$out/rounds.md"; then
        failed=$((failed + 1))
        grep FAILED "$out/rounds.md" | tail -n 3
    fi
    echo "round $rounds: RSS $(rss_kib) KiB (baseline $base KiB)"
done
sleep 2
final=$(rss_kib)
stats=$(lg stats | tail -n 1)
open=$(tail -n 1 "$out/results.jsonl" | grep -o '"sessions_open":[0-9]*' | cut -d: -f2 || true)
gaps=$(grep -o '"silent_gaps":[0-9]*' "$out/results.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }' || true)
echo "$stats"
echo "soak: $rounds rounds, $failed failed; RSS $base -> $final KiB; sessions open at the end: $open (1 = the stats session); silent gaps: $gaps"
status=0
[ "$failed" -eq 0 ] || { echo "FAIL: $failed rounds reported failures (see $out/results.jsonl)"; status=1; }
[ "$final" -le $((base + 1024)) ] || { echo "FAIL: RSS grew from $base to $final KiB"; status=1; }
[ "$open" = 1 ] || { echo "FAIL: $open sessions open, expected 1"; status=1; }
[ "$gaps" -eq 0 ] || { echo "FAIL: $gaps silent gaps"; status=1; }
exit "$status"
