#!/usr/bin/env bash
# Where an ELF's flash goes, grouped by module: `ci/flash-map.sh ELF`.
#
# Sums the sized code and read-only symbols (`nm -S`) by the module path of
# their demangled names (generic arguments and the function dropped; an
# `<X as Trait>::f` counts for X's module; other crates count whole). A
# symbol of 2 KB or more is listed on its own (on an embassy firmware the
# main task's poll function holds the session future inlined into it).
# What no symbol covers (merged string literals, the linker's fragments) is
# the last line. Inlining blurs the edges: a function inlined into another
# counts where it was inlined.
set -euo pipefail
elf=$1
nm=arm-none-eabi-nm
command -v $nm >/dev/null || nm=nm
flash=$(size -A "$elf" | awk '$1 ~ /^\.(vector_table|text|rodata|data|boot2|rwtext|trap)$/ { s += $2 } END { print s }')
$nm -C -S -t d --size-sort "$elf" | awk -v flash="$flash" '
  $3 ~ /^[tTrRdD]$/ {
    size = $2 + 0
    name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
    if (size >= 2048) { group[name " (one symbol)"] += size; total += size; next }
    n = name
    gsub(/::\{\{closure\}\}/, "", n)
    if (substr(n, 1, 1) == "<") { n = substr(n, 2); sub(/^impl /, "", n); sub(/ as .*/, "", n) }
    # Drop generic arguments, innermost first.
    while (gsub(/<[^<>]*>/, "", n)) {}
    k = split(n, seg, "::")
    if (k == 1) {
      if (n ~ /^OUTLINED_FUNCTION/) key = "(the linker'"'"'s outlined fragments)"
      else if (n ~ /^(__aeabi|__udiv|__div|mem)/) key = "compiler_builtins"
      else key = "(vector table, entry points, handlers)"
    } else if (seg[1] != "aimx") key = seg[1]
    else {
      key = seg[1]
      for (i = 2; i < k; i++) { if (seg[i] == "" || seg[i] ~ /^[A-Z{]/) break; key = key "::" seg[i] }
    }
    group[key] += size; total += size
  }
  END {
    for (g in group) printf "%d\t%s\n", group[g], g
    printf "%d\t%s\n", flash - total, "(no symbol: string literals, tables, linker fragments)"
  }' | sort -rn | awk -F'\t' 'BEGIN { print "| bytes | module or symbol |"; print "|---:|---|" } { printf "| %d | %s |\n", $1, $2 }'
