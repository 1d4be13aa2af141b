#!/bin/sh
# Regenerates internal/match/testdata/osv-scanner/*.json: osv-scanner's
# findings (ecosystem, package, version, advisory ids) on every lockfile of
# ../shared/corpus, offline, against the ../shared/osv snapshot laid out as
# its local database. The accuracy test compares hallmark's findings with
# these files, so that it runs without osv-scanner installed.
#
# Needs osv-scanner on PATH or in $OSV_SCANNER (2.5.0 was used: 2.6.0
# requires Go 1.27; install with
#   GOBIN=$HOME/go/bin go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
# ). 2.5.0 ignores OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY and reads
# $XDG_CACHE_HOME/osv-scalibr/<ECOSYSTEM>/all.zip, so both names are laid out.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HALLMARK_SHARED:-$here/../shared}
osv=${OSV_SCANNER:-osv-scanner}
out=$here/internal/match/testdata/osv-scanner
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
mkdir -p "$cache/osv-scanner"
for d in "$shared"/osv/*/; do
	e=$(basename "$d")
	[ -f "$d/all.zip" ] || continue
	mkdir -p "$cache/osv-scanner/$e"
	ln -s "$d/all.zip" "$cache/osv-scanner/$e/all.zip"
done
ln -s "$cache/osv-scanner" "$cache/osv-scalibr"
mkdir -p "$out"
version=$("$osv" --version | sed -n 's/^osv-scanner version: //p')
cd "$shared/corpus"
find . -type f ! -name SOURCES.md ! -path './github-actions/*' | sort | while read -r f; do
	f=${f#./}
	name=$(echo "$f" | tr '/' '_').json
	set +e
	XDG_CACHE_HOME=$cache OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=$cache "$osv" scan --offline --format json -L "$f" >"$cache/raw.json" 2>"$cache/err.txt"
	rc=$?
	set -e
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "skip $f: osv-scanner exit $rc: $(tail -n 1 "$cache/err.txt")" >&2
		continue
	fi
	python3 - "$f" "$version" "$cache/raw.json" >"$out/$name" <<'PY'
import json, sys
f, version, raw = sys.argv[1:4]
d = json.load(open(raw))
rows = []
for r in d.get("results") or []:
    for p in r.get("packages") or []:
        pk = p["package"]
        ids = sorted(v["id"] for v in p.get("vulnerabilities") or [])
        if ids:
            rows.append({"ecosystem": pk.get("ecosystem", ""), "name": pk["name"], "version": pk.get("version", ""), "ids": ids})
rows.sort(key=lambda r: (r["ecosystem"], r["name"], r["version"]))
json.dump({"file": f, "osvScanner": version, "findings": rows}, sys.stdout, indent=1, sort_keys=True)
print()
PY
	echo "$f: $(python3 -c 'import json,sys; print(sum(len(r["ids"]) for r in json.load(open(sys.argv[1]))["findings"]))' "$out/$name") findings"
done
