#!/usr/bin/env bash
# A private PostgreSQL cluster for the store and server tests: Debian's
# postgresql package, a cluster in a temporary directory owned by the run,
# listening only on a unix socket and a loopback port, stopped at the end.
# Exports HALLMARK_TEST_POSTGRES (a DSN with CREATEDB rights: each test makes
# its own database).
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	.ci/apt-install postgresql
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d "${TMPDIR:-/tmp}/hallmark-pg.XXXXXX")
chown postgres "$dir"
port=${HALLMARK_PG_PORT:-55432}
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
echo "runuser -u postgres -- '$bin/pg_ctl' -D '$dir/data' -m fast stop >/dev/null 2>&1; rm -rf '$dir'" >>"$CI_CLEANUP"
echo "HALLMARK_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" >>"$CI_ENV"
echo "postgresql $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
