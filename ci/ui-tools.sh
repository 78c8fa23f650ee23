#!/usr/bin/env bash
# Installs what the dashboard tests need: Debian's chromium (headless browser
# for cli/tests/ui_dashboard.rs) and tmux (terminal for cli/tests/watch_plot.rs).
# `cargo test --workspace` runs those tests and fails, saying so, without them.
set -euo pipefail
packages="chromium tmux"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing || { apt-get update && apt-get install -y --no-install-recommends $missing; }
fi
chromium --version
tmux -V
