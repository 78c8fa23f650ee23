# Sourced by the perf scripts: start and stop the servers they measure.
# The caller sets `who` (its name in messages) and its own EXIT trap, which
# calls `kill_started`.

pids=()
kill_started() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }

# Starts a server on socket $1 (the rest is its command line); sets $started.
start() {
    local sock="$1"; shift
    rm -f "$sock"
    "$@" > "$sock.log" 2>&1 &
    started=$!
    pids+=("$started")
    for _ in $(seq 100); do [ -S "$sock" ] && return; sleep 0.05; done
    echo "$who: $1 did not start" >&2; cat "$sock.log" >&2; exit 1
}
stop() { kill "$@" 2>/dev/null || true; wait "$@" 2>/dev/null || true; }
