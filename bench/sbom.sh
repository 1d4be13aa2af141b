#!/usr/bin/env bash
# Times `hallmark sbom` on the largest corpus lockfile of each ecosystem
# (../shared/corpus), with hyperfine when installed (apt-get install hyperfine),
# and reports peak RSS from /usr/bin/time. Prints a Markdown table for
# bench/RESULTS.md. Usage: bench/sbom.sh [corpus-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
out=bench/out
mkdir -p "$out"
go build -o "$out/hallmark" ./cmd/hallmark
bin=$out/hallmark

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3)"
echo
echo "| ecosystem | largest corpus file | bytes | packages | mean wall (ms) | user+sys (ms) | peak RSS (MB) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for eco in $(ls "$corpus" | grep -v SOURCES.md); do
	# Largest file of the ecosystem (github-actions: the whole folder of one project).
	if [ "$eco" = github-actions ]; then
		f=$(ls -d "$corpus/$eco"/*/ | head -1)
		bytes=$(du -sb "$f" | cut -f1)
	else
		# go.sum is read beside go.mod, not on its own.
		f=$(find "$corpus/$eco" -type f ! -name go.sum -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
		bytes=$(stat -c %s "$f")
	fi
	pkgs=$("$bin" sbom "$f" -o json -q 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))' || echo "?")
	/usr/bin/time -o "$out/rss" -f '%M' "$bin" sbom "$f" -o cyclonedx-json -q >/dev/null 2>&1 || true
	rss=$(tail -1 "$out/rss")
	if command -v hyperfine >/dev/null; then
		hyperfine -N --warmup 3 --min-runs 20 --export-json "$out/h.json" "$bin sbom $f -o cyclonedx-json -q" >/dev/null 2>&1 || true
		read -r mean cpu < <(python3 -c 'import json; r=json.load(open("'"$out/h.json"'"))["results"][0]; print(round(r["mean"]*1000,1), round((r["user"]+r["system"])*1000,1))')
	else
		mean=?; cpu=?
	fi
	echo "| $eco | ${f#$corpus/} | $bytes | $pkgs | $mean | $cpu | $(( ${rss:-0} / 1024 )) |"
done
