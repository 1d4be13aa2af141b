#!/usr/bin/env bash
# Image cataloging speed and memory (issue 11): hallmark sbom on the Debian
# minbase docker-archive that ../shared/images/build-debian-image.sh builds,
# beside the floor (reading the archive once), and on a synthetic image with
# a large layer, to show memory does not grow with image size.
#   bench/image.sh IMAGE_DIR   (IMAGE_DIR holds debian.docker.tar, debian.oci)
#   TRIVY=path SYFT=path bench/image.sh IMAGE_DIR   (the peers beside it)
set -euo pipefail
dir=${1:?usage: bench/image.sh IMAGE_DIR}
cd "$(dirname "$0")/.."
go build -o /tmp/hallmark-bench ./cmd/hallmark
run() { # label command...: wall over 9 runs (best, median), peak RSS of the median run
	local ts=()
	for _ in 1 2 3 4 5 6 7 8 9; do
		/usr/bin/time -f "%e %M" -o /tmp/hallmark-bench.time "${@:2}" >/dev/null 2>&1 || true
		ts+=("$(tail -1 /tmp/hallmark-bench.time)")
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk -v label="$1" '{t[NR]=$1; m[NR]=$2} END {printf "| %s | %s s | %s s | %d MB |\n", label, t[1], t[5], m[5]/1024}'
}
echo "| what | best of 9 | median | peak RSS |"
echo "|---|---|---|---|"
run "floor: cat the archive (170 MB)" cat "$dir/debian.docker.tar"
run "floor: sha256sum the archive" sha256sum "$dir/debian.docker.tar"
run "hallmark sbom docker-archive: (-o json)" /tmp/hallmark-bench sbom "docker-archive:$dir/debian.docker.tar" -o json -q
run "hallmark sbom docker-archive: (CycloneDX)" /tmp/hallmark-bench sbom "docker-archive:$dir/debian.docker.tar" -q
# Peers, when given (TRIVY=path, SYFT=path: built from the module proxy, see
# bench/RESULTS.md), on the same archive in the same run, without a cache.
if [ -n "${TRIVY:-}" ]; then
	run "Trivy $(go version -m "$TRIVY" | awk '$1=="mod"{print $3}') (CycloneDX, --cache-backend memory)" "$TRIVY" image --input "$dir/debian.docker.tar" --format cyclonedx --cache-backend memory --skip-db-update --skip-java-db-update --offline-scan --skip-version-check -q
fi
if [ -n "${SYFT:-}" ]; then
	run "Syft $(go version -m "$SYFT" | awk '$1=="mod"{print $3}') (syft-json)" env SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT" "docker-archive:$dir/debian.docker.tar" -o json -q
fi
run "hallmark sbom oci-dir: (gzip layer)" /tmp/hallmark-bench sbom "oci-dir:$dir/debian.oci" -o json -q
# A large image: the Debian layer plus a 1 GiB layer of data nobody catalogs.
big=$(mktemp -d)
trap 'rm -rf "$big"' EXIT
python3 - "$dir/debian.docker.tar" "$big/big.tar" <<'PY'
import hashlib, io, json, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t:
    man = json.load(t.extractfile("manifest.json"))[0]
    cfg = json.load(t.extractfile(man["Config"]))
    base = t.extractfile(man["Layers"][0]).read()
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as lt:
    for i in range(16):
        ti = tarfile.TarInfo(f"data/blob{i}.bin"); ti.size = 64 << 20
        lt.addfile(ti, io.BytesIO(bytes(64 << 20)))
big = buf.getvalue()
ids = ["sha256:" + hashlib.sha256(base).hexdigest(), "sha256:" + hashlib.sha256(big).hexdigest()]
cfg["rootfs"]["diff_ids"] = ids
cb = json.dumps(cfg).encode()
cn = hashlib.sha256(cb).hexdigest() + ".json"
with tarfile.open(dst, "w") as out:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); out.addfile(ti, io.BytesIO(data))
    add(cn, cb); add("l0/layer.tar", base); add("l1/layer.tar", big)
    add("manifest.json", json.dumps([{"Config": cn, "RepoTags": ["big:1"], "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode())
PY
run "floor: cat the 1.2 GB image" cat "$big/big.tar"
run "hallmark sbom docker-archive: 1.2 GB image" /tmp/hallmark-bench sbom "docker-archive:$big/big.tar" -o json -q
