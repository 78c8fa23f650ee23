#!/usr/bin/env bash
# Per-session RSS only (issue 11), quicker than run.sh: the loadgen's memory
# scenario (1,000 sessions, each then holding one subscription) against a
# fresh demo and a fresh aimx-floor in every run, medians and the ratio to
# the floor measured in the same runs. Rewrites no docs (run.sh does).
#
#   bash tools/perf/memory.sh [--runs 3] [--buffers 1024] [DEMO...]
#
# With DEMO binaries given (e.g. a copy of target/release/aimx-demo built
# from another commit), each is measured in every run, in turn, beside the
# same floor: an A/B of a change. Without, the demo of this tree is built.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3
buffers=1024
demos=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --buffers) buffers="$2"; shift 2 ;;
        -*) echo "usage: tools/perf/memory.sh [--runs N] [--buffers 512|1024|16384] [DEMO...]" >&2; exit 2 ;;
        *) demos+=("$1"); shift ;;
    esac
done
target="${CARGO_TARGET_DIR:-target}"
if [ ${#demos[@]} = 0 ]; then
    cargo build --release -p aimx-demo -p aimx-floor -p aimx-loadgen
    demos=("$target/release/aimx-demo")
else
    cargo build --release -p aimx-floor -p aimx-loadgen
fi
floor="$target/release/aimx-floor"
lg="$target/release/aimx-loadgen"
tmp="$(mktemp -d /tmp/aimx-memory.XXXXXX)"
who=memory
. tools/perf/servers.sh
trap 'kill_started; rm -rf "$tmp"' EXIT
# A figure of one server's row in a results file; a run with failed
# sessions or subscriptions measured something else, and stops the script.
field() {
    local failures
    failures=$(jq -r "select(.label == \"$2\") | .failures" "$1")
    [ "$failures" = 0 ] || { echo "memory: $2 had $failures failures in $1" >&2; exit 1; }
    jq -r "select(.label == \"$2\") | .bytes_per_session_with_subscription" "$1"
}

for i in $(seq "$runs"); do
    for d in "${!demos[@]}"; do
        out="$tmp/run-$i-$d.jsonl"
        start "$tmp/aimx.sock" "${demos[$d]}" --unix "$tmp/aimx.sock" --max-sessions 2000 --buffers "$buffers"; a=$started
        start "$tmp/floor.sock" "$floor" --unix "$tmp/floor.sock" --line-buf "$buffers" --out-buf "$buffers"; f=$started
        "$lg" --unix "$tmp/aimx.sock" --server-pid "$a" --floor-unix "$tmp/floor.sock" --floor-pid "$f" \
            --results "$out" memory > "$tmp/run-$i-$d.log"
        stop "$a" "$f"
        echo "$d $(field "$out" aimx) $(field "$out" floor)" >> "$tmp/all.txt"
        echo "memory: run $i, ${demos[$d]}: $(field "$out" aimx) B per session, floor $(field "$out" floor) B"
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "RSS per session with 1 subscription, $buffers B buffers, medians of $runs runs:"
echo "| demo | aimx | floor | aimx ÷ floor (median of the runs' ratios) |"
echo "|---|---|---|---|"
for d in "${!demos[@]}"; do
    rows=$(awk -v d="$d" '$1 == d' "$tmp/all.txt")
    aimx=$(echo "$rows" | awk '{ print $2 }' | median)
    fl=$(echo "$rows" | awk '{ print $3 }' | median)
    ratio=$(echo "$rows" | awk '{ printf "%.4f\n", $2 / $3 }' | median)
    printf '| %s | %.0f B | %.0f B | %.2f× |\n' "${demos[$d]}" "$aimx" "$fl" "$ratio"
done
