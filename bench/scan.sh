#!/bin/sh
# Benchmarks issue 3: importing the whole ../shared/osv snapshot and a warm
# scan, side by side with osv-scanner (offline, same snapshot) when it is
# installed ($OSV_SCANNER or osv-scanner on PATH). Needs /usr/bin/time (GNU)
# and hyperfine.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HALLMARK_SHARED:-$here/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/hallmark
(cd "$here" && go build -trimpath -o "$bin" ./cmd/hallmark)
db=$tmp/db

echo "## import of $shared/osv (cold: empty database)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" "$bin" -q db import "$shared/osv" --db "$db" >/dev/null
echo "## re-import, nothing changed (every ecosystem unchanged)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" "$bin" -q db import "$shared/osv" --db "$db" >/dev/null
ls -l "$db"

files="npm/npm__cli/package-lock.json go/cli__cli/go.mod cargo/astral-sh__ruff/Cargo.lock uv/pydantic__pydantic/uv.lock"
for f in $files; do
	echo "## warm scan of $f"
	"$bin" -q scan "$shared/corpus/$f" --db "$db" -o json 2>/dev/null |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["summary"]; print("packages %(packages)d, checked %(checked)d, findings %(findings)d" % r)'
	/usr/bin/time -f "hallmark: wall %e s, user %U s, sys %S s, max RSS %M KB" "$bin" -q scan "$shared/corpus/$f" --db "$db" -o json >/dev/null 2>&1 || true
	/usr/bin/time -f "hallmark: wall %e s, user %U s, sys %S s, max RSS %M KB" "$bin" -q scan "$shared/corpus/$f" --db "$db" -o json 2>&1 >/dev/null | tail -n 1
	cmds="'$bin -q scan $shared/corpus/$f --db $db -o json'"
	osv=${OSV_SCANNER:-$(command -v osv-scanner || true)}
	if [ -n "$osv" ]; then
		cache=$tmp/osvcache
		if [ ! -d "$cache" ]; then
			mkdir -p "$cache/osv-scanner"
			for d in "$shared"/osv/*/; do
				e=$(basename "$d")
				[ -f "$d/all.zip" ] || continue
				mkdir -p "$cache/osv-scanner/$e"
				ln -s "$d/all.zip" "$cache/osv-scanner/$e/all.zip"
			done
			ln -s "$cache/osv-scanner" "$cache/osv-scalibr"
		fi
		XDG_CACHE_HOME=$cache OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=$cache /usr/bin/time -f "osv-scanner: wall %e s, user %U s, sys %S s, max RSS %M KB" \
			"$osv" scan --offline --format json -L "$shared/corpus/$f" 2>&1 >/dev/null | tail -n 1
		cmds="$cmds '$osv scan --offline --format json -L $shared/corpus/$f'"
		export XDG_CACHE_HOME=$cache OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=$cache
	fi
	# -i: both tools exit 1 when they find something.
	eval hyperfine -N --warmup 2 --runs 10 -i --style basic $cmds 2>/dev/null | grep -E "Time|±|faster|slower|Benchmark" || true
done
