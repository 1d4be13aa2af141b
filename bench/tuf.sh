#!/usr/bin/env bash
# Issue 9 benchmarks: publishing into a TUF repository of 10,000 targets
# (top-level targets alone, and spread over 100 delegated product roles),
# hallmark update of a 100 MB target over loopback against curl of the same
# file, and hallmark release of a 500 MB artifact against sha256sum of it.
# Wall time (best of 3) and peak RSS. Needs /usr/bin/time (GNU), curl,
# python3 (a static web server on loopback).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
bin=$tmp/hallmark
(cd "$here" && go build -trimpath -o "$bin" ./cmd/hallmark)
export HALLMARK_PASSWORD=bench-password XDG_CACHE_HOME=$tmp/cache
for k in root online team; do "$bin" keys generate --out "$tmp/$k" 2>/dev/null; done

best() { # label command...: best wall of 3, its peak RSS
	local label=$1 b=999 r=0
	shift
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
		read -r w m <"$tmp/t"
		if awk "BEGIN{exit !($w < $b)}"; then b=$w r=$m; fi
	done
	printf "| %s | %s s | %d MB |\n" "$label" "$b" $((r / 1024))
}
echo "$(nproc) cores; $(go version | cut -d' ' -f3)"
echo
echo "| what | wall (best of 3) | peak RSS |"
echo "|---|---|---|"

# Publishing into a repository of 10,000 targets is measured without key
# decryption by go test -bench AddInto10k ./internal/tuf; here, the CLI's
# fixed cost: decrypting an scrypt-protected key and signing.
"$bin" tuf init "$tmp/flat" --key "$tmp/root.key" --online-key "$tmp/online.key" 2>/dev/null
best "tuf refresh (decrypt the online key, sign snapshot and timestamp)" "$bin" tuf refresh "$tmp/flat" --online-key "$tmp/online.key"

# hallmark update of 100 MB over loopback, against curl of the same file.
head -c $((100 * 1024 * 1024)) /dev/urandom >"$tmp/big.bin"
mkdir -p "$tmp/src"
echo 'module example.com/app' >"$tmp/src/go.mod"
"$bin" tuf init "$tmp/repo" --key "$tmp/root.key" --online-key "$tmp/online.key" 2>/dev/null
"$bin" release "$tmp/big.bin" --product app --version 1.0.0 --key "$tmp/root.key" --sbom-from "$tmp/src" --builder-id https://ci.example.com/b --source-uri git+https://example.com/app --out "$tmp/rel" --repo "$tmp/repo" --online-key "$tmp/online.key" --db "$tmp/nodb" >/dev/null 2>&1
port=$((20000 + RANDOM % 20000))
python3 -m http.server -b 127.0.0.1 -d "$tmp/repo" $port >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/metadata/1.root.json" >/dev/null && break; sleep 0.1; done
h=$(sha256sum "$tmp/big.bin" | cut -d' ' -f1)
best "floor: curl the 100 MB target over loopback" curl -sf -o "$tmp/curl.out" "http://127.0.0.1:$port/targets/app/1.0.0/$h.big.bin"
best "floor: hallmark verify of it (one bundle)" "$bin" verify "$tmp/big.bin" --bundle "$tmp/rel/big.bin.sigstore.json" --key "$tmp/root.pub"
export bin tmp port
best "hallmark update 100 MB (TUF + signature + provenance, fresh cache)" bash -c 'rm -rf "$tmp/inst" "$tmp/cache"; "$bin" update --repo "http://127.0.0.1:$port" --root "$tmp/repo/metadata/1.root.json" app/1.0.0/big.bin --to "$tmp/inst" --key "$tmp/root.pub"'

# hallmark release of a 500 MB artifact with the SBOM of a 1,036-package
# project (npm/cli's lockfile from the shared corpus) scanned against the
# shared OSV snapshot's npm advisories, against the floor: sha256sum of the
# artifact plus that SBOM and that scan, each measured alone.
shared=$(cd "$here/.." && pwd)/shared
proj=$shared/corpus/npm/npm__cli
mkdir -p "$tmp/osv"
ln -s "$shared/osv/npm" "$tmp/osv/npm"
"$bin" -q db import "$tmp/osv" --db "$tmp/db" >/dev/null
head -c $((500 * 1024 * 1024)) /dev/urandom >"$tmp/huge.bin"
cat "$tmp/huge.bin" >/dev/null
best "floor: sha256sum of the 500 MB artifact" sha256sum "$tmp/huge.bin"
best "floor: hallmark sbom of npm/cli alone (1,036 packages)" "$bin" sbom "$proj" -o json
best "floor: hallmark scan of npm/cli alone" "$bin" scan "$proj" --db "$tmp/db" -o json
export proj
best "hallmark release of the 500 MB artifact (SBOM of npm/cli, scan, sign, attest)" bash -c 'rm -rf "$tmp/rel2"; "$bin" release "$tmp/huge.bin" --product app --version 2 --key "$tmp/root.key" --sbom-from "$proj" --builder-id https://ci.example.com/b --source-uri git+https://example.com/app --out "$tmp/rel2" --db "$tmp/db"'
"$bin" tuf init "$tmp/repo2" --key "$tmp/root.key" --online-key "$tmp/online.key" 2>/dev/null
best "the same with --repo (published into a TUF repository)" bash -c 'rm -rf "$tmp/rel2" "$tmp/repo3"; cp -r "$tmp/repo2" "$tmp/repo3"; "$bin" release "$tmp/huge.bin" --product app --version 2 --key "$tmp/root.key" --sbom-from "$proj" --builder-id https://ci.example.com/b --source-uri git+https://example.com/app --out "$tmp/rel2" --db "$tmp/db" --repo "$tmp/repo3" --online-key "$tmp/online.key"'
