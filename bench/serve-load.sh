#!/bin/sh
# Load test of hallmark serve (issue 12), loopback only and bounded:
# 1,000 SBOMs of ~1,000 components generated from the real corpus lockfiles
# (bench/serveload gen) uploaded by 8 concurrent clients while a prober asks
# the query API every 50 ms; then a vulnerability data update that gives a
# new advisory to 5% of the package names, imported with hallmark db import
# while the server runs, and the delta re-match it triggers. Peak RSS of the
# server from /proc. SQLite always; PostgreSQL when HALLMARK_BENCH_POSTGRES
# is an admin DSN (a fresh database is made there and dropped).
#
#   bench/serve-load.sh [N]        # N SBOMs, default 1000
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HALLMARK_SHARED:-$here/../shared}
n=${1:-1000}
tmp=${SERVE_LOAD_TMP:-$(mktemp -d)}
mkdir -p "$tmp"
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
	if [ -z "${SERVE_LOAD_TMP:-}" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
(cd "$here" && go build -trimpath -o "$tmp/hallmark" ./cmd/hallmark && go build -trimpath -o "$tmp/serveload" ./bench/serveload)
if [ ! -f "$tmp/gen/sboms/$(printf %04d $((n - 1))).cdx.json" ]; then
	"$tmp/serveload" gen -corpus "$shared/corpus" -osv "$shared/osv" -out "$tmp/gen" -n "$n"
fi
token=hm-load-test-admin-token-0123456789
port=18471

one() { # backend [dsn]
	backend=$1
	data=$tmp/data-$backend
	rm -rf "$data"
	mkdir -p "$data"
	"$tmp/hallmark" -q db import "$shared/osv" --db "$data/db" >/dev/null
	set -- --listen 127.0.0.1:$port --data "$data" --check-every 1s
	[ -n "${dsn:-}" ] && set -- "$@" --database "$dsn"
	HALLMARK_ADMIN_TOKEN=$token "$tmp/hallmark" serve "$@" 2>"$data/serve.log" &
	pid=$!
	until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.2; done
	echo "### $backend: $n SBOMs, 8 clients"
	"$tmp/serveload" run -server "http://127.0.0.1:$port" -token "$token" -dir "$tmp/gen" -clients 8
	echo "server peak RSS after ingest: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
	echo "### $backend: data update (new advisory for 5% of names), then the delta re-match"
	before=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	/usr/bin/time -f "db import: wall %e s" "$tmp/hallmark" -q db import "$tmp/gen/osv-update" --db "$data/db" >/dev/null
	# The job is created when the server notices the new index (--check-every 1s).
	"$tmp/serveload" job -server "http://127.0.0.1:$port" -token "$token" -after "$before"
	echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

dsn= one sqlite
ls -l "$tmp/data-sqlite/hallmark.db" | awk '{printf "SQLite file: %.0f MB\n", $5/1048576}'
if [ -n "${HALLMARK_BENCH_POSTGRES:-}" ]; then
	db=hm_load_$$
	psql "$HALLMARK_BENCH_POSTGRES" -qc "CREATE DATABASE $db"
	dsn=$(echo "$HALLMARK_BENCH_POSTGRES" | sed "s#/[^/?]*\([?]\|\$\)#/$db\1#")
	one postgres
	psql "$HALLMARK_BENCH_POSTGRES" -qc "DROP DATABASE $db WITH (FORCE)"
fi
