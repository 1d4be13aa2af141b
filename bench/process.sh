#!/bin/sh
# Process time (user+sys) of hallmark's two hot paths on npm/cli's
# package-lock.json (590 KB, 1036 packages): `sbom` in its default
# cyclonedx-json and in -o json, and a warm `scan` of the directory against
# an index of the whole ../shared/osv snapshot. CPU time is the fair measure
# on a shared 2-core machine; wall time is shown too. Needs hyperfine and GNU
# /usr/bin/time. BASE=/path/to/older/hallmark adds it to every comparison.
# TREE=/path/to/project (default /tmp/uk, an installed node_modules tree)
# checks peak RSS on a large input.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HALLMARK_SHARED:-$here/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/hallmark
(cd "$here" && go build -trimpath -o "$bin" ./cmd/hallmark)
db=${DB:-$tmp/db}
[ -f "$db/index.hmdb" ] || "$bin" -q db import "$shared/osv" --db "$db" >/dev/null
lock=$shared/corpus/npm/npm__cli/package-lock.json
dir=$shared/corpus/npm/npm__cli
bins=$bin
[ -n "${BASE:-}" ] && bins="$BASE $bin"
for b in $bins; do
	echo "## $b"
	hyperfine -N --warmup 3 --runs 40 -i --style basic \
		"$b sbom $lock" "$b sbom $lock -o json" "$b -q scan $dir --db $db -o json" "$b version" 2>/dev/null |
		grep -E "Benchmark|Time"
done
tree=${TREE:-/tmp/uk}
if [ -d "$tree" ]; then
	for b in $bins; do
		/usr/bin/time -f "$b sbom $tree: wall %e s, user %U s, sys %S s, max RSS %M KB" "$b" sbom "$tree" 2>&1 >/dev/null | tail -n 1
	done
fi
