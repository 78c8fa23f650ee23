#!/usr/bin/env bash
# Seeds both fuzz targets from the conformance suite: its raw request lines
# (tests/conformance/*.rs) plus seeds/lines.txt, which restates the suite's
# json!() requests with the fuzz server's record names and token.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/line_parser corpus/session
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
done < /tmp/aimx-fuzz-lines.txt
# One long script through every method, and a line over the 256-byte limit.
printf '\x05\x06\x07\x08%s\n' "$hello" > corpus/session/seed-all
cat /tmp/aimx-fuzz-lines.txt >> corpus/session/seed-all
printf '\x09%s\n{"id":1,"method":"ping"}\n' "$(head -c 300 /dev/zero | tr '\0' x)" > corpus/line_parser/seed-long
echo "seeded $i lines into fuzz/corpus/"
