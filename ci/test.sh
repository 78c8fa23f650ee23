#!/usr/bin/env bash
# The README's test command, with the tests' temporary files in a directory
# of their own that must be empty afterwards: no test leaves files behind.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
TMPDIR="$tmp" cargo test --workspace
left=$(find "$tmp" -mindepth 1 -maxdepth 1)
if [ -n "$left" ]; then
  echo "the tests left files behind in their TMPDIR:"
  find "$tmp" -maxdepth 2 | head -40
  exit 1
fi
rmdir "$tmp"
echo "no temporary files left behind"
