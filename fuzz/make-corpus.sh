#!/usr/bin/env bash
# Seeds the fuzz targets from the conformance suite: its raw request lines
# (tests/conformance/*.rs) plus seeds/lines.txt, which restates the suite's
# json!() requests with the fuzz server's record names and token.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/line_parser corpus/session corpus/members corpus/unescape
{
    cat seeds/lines.txt
    grep -ohP 'r#"\{.*?\}"#' ../tests/conformance/*.rs | grep -v '{{' | sed 's/^r#"//; s/"#$//; s/config.log_level/config.level/g'
} | sort -u > /tmp/aimx-fuzz-lines.txt
hello='{"hello":{"version":"1.0","client":"fuzz","auth_token":"s3cret"}}'
i=0
while IFS= read -r line; do
    i=$((i + 1))
    # line_parser: a chunk-size byte, then the line (alone, and after a hello).
    printf '\x07%s\n' "$line" > "corpus/line_parser/seed-$i"
    # session: 4 seed bytes for the driver, a greeted session, the line, a ping.
    printf '\x01\x02\x03\x04%s\n%s\n{"id":99,"method":"ping"}\n' "$hello" "$line" > "corpus/session/seed-$i"
    # members: the line as an object to walk.
    printf '%s' "$line" > "corpus/members/seed-$i"
done < /tmp/aimx-fuzz-lines.txt
# unescape: the string bodies of the lines (escapes included).
j=0
grep -oP '"(\\.|[^"\\])*"' /tmp/aimx-fuzz-lines.txt | sed 's/^"//; s/"$//' | sort -u | while IFS= read -r body; do
    j=$((j + 1))
    printf '%s' "$body" > "corpus/unescape/seed-$j"
done
# Inputs that once failed, replayed first in every run (seeds/session/).
cp seeds/session/* corpus/session/
# One long script through every method, and a line over the 256-byte limit.
printf '\x05\x06\x07\x08%s\n' "$hello" > corpus/session/seed-all
cat /tmp/aimx-fuzz-lines.txt >> corpus/session/seed-all
printf '\x09%s\n{"id":1,"method":"ping"}\n' "$(head -c 300 /dev/zero | tr '\0' x)" > corpus/line_parser/seed-long
echo "seeded $i lines into fuzz/corpus/"
