#!/usr/bin/env bash
# Regenerates the performance tables of docs/performance.md and the README's
# from one run, and commits nothing: the raw results land in
# docs/perf-results/ beside them. By hand, not in CI (minutes long, and only
# meaningful as ratios measured in the same run).
#
#   bash tools/perf/run.sh [--runs 3] [--rate-hz 10000] [--seconds 5] [--no-bench]
#
# Each run starts a fresh demo and a fresh aimx-floor (so memory is measured
# on fresh heaps) and has the load generator measure both (sequential and
# pipelined alternating between them in slices, memory and sessions on the
# floor just before the demo); then both again with their producer at
# --rate-hz for the fan-out, alternating in slices too; then the criterion
# wire benchmarks. The tables give medians over the runs, and ratios as the
# median of each run's ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3
rate=10000
sensor_hz=10 # the demo's default --rate-hz
seconds=5
bench=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --rate-hz) rate="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --no-bench) bench=0; shift ;;
        *) echo "usage: tools/perf/run.sh [--runs N] [--rate-hz N] [--seconds N] [--no-bench]" >&2; exit 2 ;;
    esac
done
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p aimx-demo -p aimx-floor -p aimx-loadgen
demo="$target/release/aimx-demo"
floor="$target/release/aimx-floor"
lg="$target/release/aimx-loadgen"
raw=docs/perf-results
mkdir -p "$raw"
rm -f "$raw"/run-*.jsonl "$raw"/bench.jsonl
tmp="$(mktemp -d /tmp/aimx-perf.XXXXXX)"
who=perf
. tools/perf/servers.sh
trap kill_started EXIT

machine() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), nproc $(nproc)"
    echo "memory: $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -sr); $(rustc -V)"
}
machine > "$raw/machine.txt"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw/machine.txt"

for i in $(seq "$runs"); do
    echo "perf: run $i of $runs"
    out="$raw/run-$i.jsonl"
    start "$tmp/aimx.sock" "$demo" --unix "$tmp/aimx.sock" --max-sessions 2000; d=$started
    # The floor's producer at the demo's default sensor rate (10 Hz), so
    # both have the same pending timer: with none at all, tokio kept the
    # floor's session on one worker thread, while the demo's moved between
    # both (one wake-up per request on each), which was most of the
    # sequential gap measured before.
    start "$tmp/floor.sock" "$floor" --unix "$tmp/floor.sock" --rate-hz "$sensor_hz"; f=$started
    # Memory first: fresh heaps.
    "$lg" --unix "$tmp/aimx.sock" --server-pid "$d" --floor-unix "$tmp/floor.sock" --floor-pid "$f" \
        --seconds "$seconds" --results "$out" memory sequential pipelined sessions
    stop "$d" "$f"
    start "$tmp/aimx.sock" "$demo" --unix "$tmp/aimx.sock" --max-sessions 2000 --rate-hz "$rate"; d=$started
    start "$tmp/floor.sock" "$floor" --unix "$tmp/floor.sock" --rate-hz "$rate"; f=$started
    "$lg" --unix "$tmp/aimx.sock" --server-pid "$d" --floor-unix "$tmp/floor.sock" --floor-pid "$f" \
        --seconds "$seconds" --results "$out" --source producer fanout
    stop "$d" "$f"
    # What other buffer sizes cost and save, both servers alike.
    for size in 512 16384; do
        start "$tmp/aimx.sock" "$demo" --unix "$tmp/aimx.sock" --max-sessions 2000 --buffers "$size"; d=$started
        start "$tmp/floor.sock" "$floor" --unix "$tmp/floor.sock" --line-buf "$size" --out-buf "$size" \
            --rate-hz "$sensor_hz"; f=$started
        "$lg" --unix "$tmp/aimx.sock" --server-pid "$d" --floor-unix "$tmp/floor.sock" --floor-pid "$f" \
            --results "$raw/run-$i-buffers-$size.jsonl" memory pipelined
        stop "$d" "$f"
    done
    if [ "$bench" = 1 ]; then
        rm -rf "$target/criterion"
        cargo bench -p aimx-bench --bench wire -- --warm-up-time 1 --measurement-time 2 > "$tmp/bench-$i.txt"
        for dir in "$target"/criterion/*/new; do
            jq -c --arg run "$i" --slurpfile est "$dir/estimates.json" \
                '{run: ($run | tonumber), bench: .full_id, median_ns: $est[0].median.point_estimate}' \
                "$dir/benchmark.json" >> "$raw/bench.jsonl"
        done
    fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw/machine.txt"
echo "runs: $runs; --seconds $seconds; fan-out producer at $rate Hz" >> "$raw/machine.txt"

# The tables, spliced between the markers of each file.
bench_flag=()
[ "$bench" = 1 ] && bench_flag=(--bench "$raw/bench.jsonl")
files=()
for i in $(seq "$runs"); do files+=("$raw/run-$i.jsonl"); done
{
    echo '```text'
    cat "$raw/machine.txt"
    echo '```'
    echo
    "$lg" summarize "${bench_flag[@]}" "${files[@]}"
    echo
    echo "Other buffer sizes (line and reply buffer each; the demo's \`--buffers\`, the floor's \`--line-buf\`/\`--out-buf\`):"
    echo
    echo "| buffers | figure | aimx | floor | aimx ÷ floor |"
    echo "|---|---|---|---|---|"
    "$lg" summarize --brief "512 B" "$raw"/run-*-buffers-512.jsonl
    "$lg" summarize --brief "1 KiB (default)" "${files[@]}"
    "$lg" summarize --brief "16 KiB" "$raw"/run-*-buffers-16384.jsonl
} > "$tmp/docs.md"
"$lg" summarize --readme "${files[@]}" > "$tmp/readme.md"
splice() {
    awk -v begin="<!-- $2 begin -->" -v end="<!-- $2 end -->" -v with="$3" '
        $0 == begin { print; while ((getline l < with) > 0) print l; skip = 1; next }
        $0 == end { skip = 0 }
        !skip { print }' "$1" > "$tmp/spliced" && cp "$tmp/spliced" "$1"
}
splice docs/performance.md perf-tables "$tmp/docs.md"
splice README.md perf-table "$tmp/readme.md"
echo "perf: docs/performance.md and README.md updated; raw results in $raw/"
