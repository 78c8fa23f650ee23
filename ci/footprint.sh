#!/usr/bin/env bash
# What AimX costs on a Cortex-M4F: flash and static RAM of the firmware and of
# the same firmware without AimX, the difference, and (from the firmware
# running in QEMU after a workload) the stack high-water mark and size_of of
# a session and a subscription measured on thumbv7em itself.
# Fails if the firmware no longer links in memory.x's 64 KiB RAM / 256 KiB flash.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v arm-none-eabi-size >/dev/null || apt-get install -y binutils-arm-none-eabi
command -v qemu-system-arm >/dev/null || apt-get install -y qemu-system-arm
rustup target add thumbv7em-none-eabihf
dir=examples/firmware-qemu
if ! (cd $dir && cargo build --release --bins); then
  echo "FAIL: the firmware does not link in 64 KiB RAM / 256 KiB flash (memory.x)" >&2
  exit 1
fi
# CI shares one target dir (CARGO_TARGET_DIR); by hand the crate has its own.
out=$(realpath -m "${CARGO_TARGET_DIR:-$dir/target}")/thumbv7em-none-eabihf/release
read -r ft fd fb _ < <(arm-none-eabi-size $out/firmware | tail -1)
read -r bt bd bb _ < <(arm-none-eabi-size $out/baseline | tail -1)

# Boot it, give both UARTs some work, read device.stats back.
port=$((20000 + RANDOM % 20000))
qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -monitor none \
  -serial "tcp:127.0.0.1:$port,server=on,wait=off" -serial "tcp:127.0.0.1:$((port + 1)),server=on,wait=off" \
  -kernel $out/firmware &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
sleep 1
for p in $((port + 1)) $port; do
  exec 3<>/dev/tcp/127.0.0.1/$p
  printf '%s\n' '{"version":"1.0","client":"footprint"}' '{"id":1,"method":"record.list"}' \
    '{"id":2,"method":"record.set","params":{"name":"config.log_level","value":"debug"}}' \
    '{"id":3,"method":"record.subscribe","params":{"name":"sensor.temperature"}}' \
    '{"id":4,"method":"record.subscribe","params":{"name":"device.stats"}}' >&3
  sleep 1.5
done
printf '%s\n' '{"id":5,"method":"record.get","params":{"name":"device.stats"}}' >&3
stats=$(timeout 10 grep -m1 '"id":5' <&3)
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$stats"; }

echo "| firmware (thumbv7em-none-eabihf, opt-level s, LTO) | .text | .data | .bss |"
echo "|---|---:|---:|---:|"
echo "| baseline: executor, time driver, 2 UARTs, no AimX | $bt | $bd | $bb |"
echo "| AimX firmware: 4 records, 2 sessions (\`McuServer\`) | $ft | $fd | $fb |"
echo "| **what AimX costs** | **$((ft - bt))** | **$((fd - bd))** | **$((fb - bb))** |"
echo
echo "| measured on the device (QEMU, after 2 sessions with 2 subscriptions each) | bytes |"
echo "|---|---:|"
echo "| stack high-water mark | $(num stack_high_water) |"
echo "| stack available (64 KiB − statics) | $(num stack_size) |"
echo "| one session (\`Session<…, 2, 256, 512>\`) | $(num session) |"
echo "| one subscription (cursor + waiter) | $(num subscription) |"
echo "| \`serve_many\` future, both sessions | $(num serve_many) |"
echo "| server shared by the sessions | $(num server) |"
[ -n "$(num stack_high_water)" ] || { echo "FAIL: no device.stats from the firmware: $stats" >&2; exit 1; }
