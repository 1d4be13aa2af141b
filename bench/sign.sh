#!/bin/sh
# Benchmarks issue 5: hashing, signing and verifying a 2 GB artifact, against
# sha256sum/sha512sum of the same (page-cached) file as the floor. Reports
# wall time, GB/s and max RSS (constant memory: RSS must not grow with the
# file). Needs /usr/bin/time (GNU). SIZE_MB overrides the 2048 MB default.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
size_mb=${SIZE_MB:-2048}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/hallmark
(cd "$here" && go build -trimpath -o "$bin" ./cmd/hallmark)
art=$tmp/artifact.bin
head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$art"
bytes=$(stat -c %s "$art")
cat "$art" >/dev/null # page cache warm for every run alike
export HALLMARK_PASSWORD=bench-password
"$bin" keys generate --out "$tmp/k" 2>/dev/null
echo '{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}' >"$tmp/pred.json"

run() { # name command...
	name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
	read -r wall rss <"$tmp/t"
	awk -v n="$name" -v w="$wall" -v r="$rss" -v b="$bytes" \
		'BEGIN { printf "| %-44s | %6.2f s | %5.2f GB/s | %4d MB |\n", n, w, b / w / 1e9, r / 1024 }'
}

echo "artifact: $bytes bytes; $(nproc) cores; $(go version | cut -d' ' -f3)"
echo "| what | wall | throughput | max RSS |"
echo "|---|---:|---:|---:|"
run "sha256sum (floor)" sha256sum "$art"
run "sha512sum" sha512sum "$art"
run "hallmark hash (sha256)" "$bin" hash "$art"
run "hallmark hash -a sha256,sha512" "$bin" hash -a sha256,sha512 "$art"
run "hallmark sign (ECDSA P-256, SHA-256)" "$bin" sign "$art" --key "$tmp/k.key" --bundle "$tmp/sig.json"
run "hallmark verify --key (message signature)" "$bin" verify "$art" --bundle "$tmp/sig.json" --key "$tmp/k.pub"
run "hallmark attest (sha256+sha512 subject)" "$bin" attest "$art" --type cyclonedx --predicate "$tmp/pred.json" --key "$tmp/k.key" --bundle "$tmp/att.json"
run "hallmark verify --key (attestation, sha256)" "$bin" verify "$art" --bundle "$tmp/att.json" --key "$tmp/k.pub" --type cyclonedx
if command -v cosign >/dev/null 2>&1; then
	run "cosign verify-blob (same bundle)" cosign verify-blob --key "$tmp/k.pub" --bundle "$tmp/sig.json" --insecure-ignore-tlog "$art"
fi
