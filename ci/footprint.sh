#!/usr/bin/env bash
# What AimX costs on a small MCU, printed as issue 10's table, and a gate.
#
# QEMU firmware (thumbv7em, Cortex-M4F, stable Rust): 2 sessions x 4
# subscriptions, the demo's f32 records, against the same runtime with no
# AimX (bin `baseline`). Both run in QEMU under the same workload so their
# stack high-water marks can be compared. Also prints the total .text of the
# RP2040 (thumbv6m) and ESP32-C3 (riscv32imc) examples when they are built
# (ci/rp2040.sh, ci/esp32c3.sh run first in .ci/run).
#
# FAILS when flash or RAM over baseline exceed the limits below.
set -euo pipefail
cd "$(dirname "$0")/.."
# Issue 10's targets: <= 40,960 B flash and <= 8,192 B RAM over baseline.
# Measured 53,496 B flash and 7,456-7,680 B RAM (5 runs) with the crate's
# own value decoder (serde-json-core and `core`'s float parser gone:
# -22.5 KB), record.drain and graph.* (issue 14, +~4 KB) and opt-level "z"
# (-9.9 KB; its stack mark moves by up to ~220 B between runs, "s" measured
# 7,580-7,604 B). The limits are the worst run plus 2 %, so neither can grow
# back unnoticed. record.schema, with the demo records described, then
# added 2,868 B (56,364 B; the schema writer and the descriptions): the
# flash limit is that plus 2 %. Lower FLASH_LIMIT towards 40960 as the flash
# shrinks. Issue 16 (an absolute hello deadline, bad lines before the
# hello bounded, a write deadline counted from the last progress by a
# watchdog timer, slow readers served one event at a time) then measured
# 56,236 B flash and 8,152 B RAM: 16 B of session state and ~290 B of
# serve_many future per 2 sessions, the rest stack. The RAM limit is that
# plus 2 %, over issue 10's 8,192 B target until the stack is won back.
# Then (issue 10, second pass; each step in its commit message): serde's
# u128 formatting unlinked (-3,092 B), read-only records without a
# deserializer (-1,644 B), no memmove (-1,756 B), the f32 path without u128
# (-3,900 B): 46,508 B flash and 8,032 B RAM with codec's v1-only build.
# The flash limit is that plus 2 %; the gate measures the firmware as
# configured in examples/firmware-qemu (v1 only; the v3 line is printed,
# not gated).
# Issue 16's pre-hello budget (a 16-entry table of connections waiting for
# their hello, eviction after 1 s of silence, newcomers waiting for a
# place) then measured 48,832 B flash (+2,324 B; this firmware's links never
# use it, but serve_many's connection path is built beside the link path)
# and 8,264 B RAM: the flash limit is that plus 2 %. To win it back: keep
# the connection path out of link-only builds.
# Per-subscription rate limits (issue 14 item 4: max_rate_hz and
# min_interval_ms read exactly without floats, one pacing timer per
# session, the coalesced/dropped split, events_coalesced, server.stats in
# two pieces) then measured 51,500 B flash (+2,668 B) and 8,424 B RAM
# (+160 B: the cursor stays 20 B, +8 B session state, the rest future and
# stack): both limits are that plus 2 %. To win back: the RAM is over
# issue 10's 8,192 B target.
# Issue 10, third pass (each step in its commit message): a link-only
# firmware builds no pre-hello budget code (the stream's kind is a type),
# error messages are one compile-time text with two arguments, unsubscribe
# reads sub-N without str::parse, handlers take the request by reference
# (the session future held a second copy: -1,024 B .bss) and every error
# reply goes out from one place: 49,100 B flash and 6,856-7,000 B RAM (4
# runs); with issue 16's idle timeout (landed meanwhile, +576 B) 49,676 B
# and 6,912-6,936 B. The flash limit is that plus 2 %. The RAM limit is the
# worst run (7,000 B) plus the ~220 B the stack mark has been seen to move
# between runs at opt-level z, plus 2 %: 2 % alone (7,140 B) would fail a
# run by chance. RAM is now under issue 10's target, flash 8.7 KB over it.
# Then issue 11's one-pass parser (+776 B: 50,452 B), and the session that
# answers each line synchronously into its reply buffer (handlers return
# what to write; one writer, run again after a flush): 47,456 B, RAM
# 7,000 B; with events, drain and snaps resumed after a flush instead of
# awaited piece by piece, 47,056 B and 6,880 B. The flash limit is that
# plus 2 %.
# Issue 10, fourth pass, outside the session future (each step in its
# commit message): record timestamps beside the values (.data -144 B), one
# digit loop, a small UTF-8 check on MCUs instead of core's (-408 B), a
# shorter string escaper, the float layout as one loop (-272 B), hello
# texts copied in place (-208 B): -1,124 B measured alone on 2aea300; on
# 36b142d 45,748 B flash and 6,736 B RAM. The flash limit is that plus 2 %.
# Issue 10, fifth pass: record.drain, graph.* and record.schema became
# features of the core (`drain`, `graph`, `schema`; default on). This
# firmware leaves them out (its end-to-end test checks they are answered
# method_not_found) and serves AimX v1's methods, ping and server.stats:
# 40,900 B flash, 6,456 B RAM; the extensions add 5,020 B (printed below).
# Then the request decoder on MCUs walks the validated line (no member
# finder), the session writes without a second async layer, one ring
# reader/writer per record type, decoders and type names linked only where
# used: 36,820 B flash and 5,752-5,872 B RAM (4 runs). The flash limit is
# that plus 2 %; the RAM limit the worst run plus the ~220 B the stack mark
# moves, plus 2 %. Both are under issue 10's targets (40,960 B, 8,192 B).
FLASH_LIMIT=${FLASH_LIMIT:-37556}
RAM_LIMIT=${RAM_LIMIT:-6214}
command -v arm-none-eabi-size >/dev/null || apt-get install -y binutils-arm-none-eabi
command -v qemu-system-arm >/dev/null || apt-get install -y qemu-system-arm
rustup target add thumbv7em-none-eabihf
dir=examples/firmware-qemu
# CI shares one target dir (CARGO_TARGET_DIR); by hand the crate has its own.
target=$(realpath -m "${CARGO_TARGET_DIR:-$dir/target}")
# The firmware's flash (.text + .data) built with the given features. (A
# command substitution does not inherit `set -e`: a failed build returns.)
flash_with() {
  (cd $dir && cargo build --release --bin firmware --features "$1") >&2 || return 1
  arm-none-eabi-size $target/thumbv7em-none-eabihf/release/firmware | tail -1 | awk '{ print $1 + $2 }'
}
# Each for its size only: AimX v3 (the core's `v3` feature); record.drain,
# graph.* and record.schema (the core's `drain`, `graph` and `schema`
# features); the two float records as f64 (the crate's compact float path
# is f32's; f64 goes through `core`'s formatter and parser). Then the
# v1-only firmware (AimX v1's methods, ping and server.stats) that the rest
# of this script measures and gates.
with_v3=$(flash_with v3)
with_extensions=$(flash_with extensions)
with_f64=$(flash_with f64)
if ! (cd $dir && cargo build --release --bins); then
  echo "FAIL: the firmware does not link in 64 KiB RAM / 256 KiB flash (memory.x)" >&2
  exit 1
fi
out=$target/thumbv7em-none-eabihf/release
read -r ft fd fb _ < <(arm-none-eabi-size $out/firmware | tail -1)
read -r bt bd bb _ < <(arm-none-eabi-size $out/baseline | tail -1)

qemu=""
trap '[ -z "$qemu" ] || kill $qemu 2>/dev/null || true' EXIT
boot() { # boot ELF PORT: both UARTs on PORT and PORT+1
  qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -monitor none \
    -serial "tcp:127.0.0.1:$2,server=on,wait=off" -serial "tcp:127.0.0.1:$(($2 + 1)),server=on,wait=off" \
    -kernel "$1" &
  qemu=$!
  # Until both UARTs accept (a loaded machine can take more than a second
  # to start QEMU); the probe sends nothing.
  for p in $2 $(($2 + 1)); do
    for _ in $(seq 50); do
      (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break
      sleep 0.2
    done
  done
  sleep 0.5
}
stop() { kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true; qemu=""; }

# The baseline, echoing the same traffic, then asked for its stack mark.
port=$((20000 + RANDOM % 20000))
boot $out/baseline $port
for p in $((port + 1)) $port; do
  exec 3<>/dev/tcp/127.0.0.1/$p
  printf '%s\n' '{"version":"1.0","client":"footprint"}' '{"id":1,"method":"record.list"}' >&3
  sleep 0.5
done
printf '?\n' >&3
bstack=$(timeout 10 grep -m1 -a -x '[0-9]*' <&3)
exec 3<&-
stop

# The firmware: each UART gets a session with 4 subscriptions and float
# traffic both ways, then device.stats is read back.
boot $out/firmware $port
for p in $((port + 1)) $port; do
  exec 3<>/dev/tcp/127.0.0.1/$p
  printf '%s\n' '{"version":"1.0","client":"footprint"}' '{"id":1,"method":"record.list"}' \
    '{"id":2,"method":"record.set","params":{"name":"config.log_level","value":"debug"}}' \
    '{"id":3,"method":"record.set","params":{"name":"actuator.setpoint","value":{"target_celsius":21.75}}}' \
    '{"id":4,"method":"record.get","params":{"name":"sensor.temperature"}}' \
    '{"id":5,"method":"record.subscribe","params":{"name":"sensor.temperature"}}' \
    '{"id":6,"method":"record.subscribe","params":{"name":"device.stats"}}' \
    '{"id":7,"method":"record.subscribe","params":{"name":"config.log_level"}}' \
    '{"id":8,"method":"record.subscribe","params":{"name":"actuator.setpoint"}}' >&3
  sleep 1.5
done
printf '%s\n' '{"id":9,"method":"record.get","params":{"name":"device.stats"}}' >&3
stats=$(timeout 10 grep -m1 -a '"id":9' <&3)
stop
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$stats"; }
fstack=$(num stack_high_water)
[ -n "$fstack" ] || { echo "FAIL: no device.stats from the firmware: $stats" >&2; exit 1; }
[ -n "$bstack" ] || { echo "FAIL: no stack mark from the baseline" >&2; exit 1; }
grep -q '"subscriptions":[89],\|"subscriptions":1[0-9],' <<<"$stats" \
  || { echo "FAIL: the workload did not open 2 x 4 subscriptions: $stats" >&2; exit 1; }

flash=$(((ft + fd) - (bt + bd)))
ram=$(((fd + fb + fstack) - (bd + bb + bstack)))
sub=$(num subscription)

echo "| QEMU firmware (thumbv7em-none-eabihf, stable, opt-level z, LTO) | .text | .data | .bss | stack high-water |"
echo "|---|---:|---:|---:|---:|"
echo "| baseline: executor, time driver, 2 UARTs, no AimX | $bt | $bd | $bb | $bstack |"
echo "| AimX firmware: 4 records (f32), 2 sessions x 4 subscriptions | $ft | $fd | $fb | $fstack |"
echo
echo "| what AimX costs | measured | limit in CI | issue 10 target |"
echo "|---|---:|---:|---:|"
echo "| flash over baseline (.text + .data) | $flash B | $FLASH_LIMIT B | 40960 B |"
echo "| RAM over baseline (.data + .bss + stack high-water) | $ram B | $RAM_LIMIT B | 8192 B |"
echo "| flash AimX v3 adds (feature \`v3\`: v3 frames, length-prefixed framing, wildcards) | $((with_v3 - (ft + fd))) B | | |"
echo "| flash the extensions add (features \`drain\`, \`graph\`, \`schema\`: record.drain, graph.*, record.schema) | $((with_extensions - (ft + fd))) B | | |"
echo "| flash f64 records add (the demo's two float records as f64 instead of f32: feature \`f64\` of the firmware) | $((with_f64 - (ft + fd))) B | | |"
echo "| per extra subscription (cursor + waiter) | $sub B | | 48 B |"
echo "| one session (\`Session<…, 4, 256, 512>\`) | $(num session) B | | |"
echo "| \`serve_many\` future, both sessions | $(num serve_many) B | | |"
echo
echo "| other builds (whole image, not over a baseline) | flash (code + rodata + .data) | static RAM (.data + .bss) |"
echo "|---|---:|---:|"
# Summed by section name: the ESP32-C3 image has sections (.rotext_dummy,
# .stack…) that Berkeley-format `size` would count as text or bss.
sections() { size -A "$1" | awk -v want="$2" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 } ($1 in keep) { s += $2 } END { print s + 0 }'; }
for ex in rp2040-usb:thumbv6m-none-eabi:aimx-rp2040-usb esp32c3:riscv32imc-unknown-none-elf:aimx-esp32c3; do
  IFS=: read -r name triple bin <<<"$ex"
  elf=$(realpath -m "${CARGO_TARGET_DIR:-examples/$name/target}")/$triple/release/$bin
  if [ -f "$elf" ]; then
    echo "| examples/$name ($triple) | $(sections "$elf" ".vector_table .boot2 .text .rodata .trap .rwtext .data") B | $(sections "$elf" ".data .bss") B |"
  else
    echo "| examples/$name ($triple) | not built (ci/${name%%-*}.sh) | |"
  fi
done

echo
echo "Where the firmware's flash goes (ci/flash-map.sh; the baseline's runtime included):"
echo
bash ci/flash-map.sh $out/firmware

fail=0
[ "$flash" -le "$FLASH_LIMIT" ] || { echo "FAIL: flash over baseline $flash B > $FLASH_LIMIT B" >&2; fail=1; }
[ "$ram" -le "$RAM_LIMIT" ] || { echo "FAIL: RAM over baseline $ram B > $RAM_LIMIT B" >&2; fail=1; }
exit $fail
