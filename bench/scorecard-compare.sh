#!/usr/bin/env bash
# Records what `scorecard --local` (OpenSSF Scorecard v5.5.0, built from the
# module proxy) says of the corpus repositories, for internal/assess's
# comparison test (testdata/scorecard/REPO.json: check -> score), and times
# both tools.   bench/scorecard-compare.sh /path/to/scorecard
set -euo pipefail
sc=${1:?usage: bench/scorecard-compare.sh SCORECARD_BINARY}
cd "$(dirname "$0")/.."
go build -o /tmp/hallmark-bench ./cmd/hallmark
for repo in ../shared/corpus/github-actions/*/; do
	name=$(basename "$repo")
	(cd "$repo" && "$sc" --local . --format json 2>/dev/null || true) |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"scorecard": d["scorecard"]["version"], "checks": {c["name"]: c["score"] for c in d["checks"]}}, indent=2, sort_keys=True))' \
		>"internal/assess/testdata/scorecard/$name.json"
	/usr/bin/time -f "scorecard --local $name: %e s %M KB" "$sc" --local "$repo" --format json >/dev/null 2>/tmp/sc.err || true
	tail -1 /tmp/sc.err
	/usr/bin/time -f "hallmark assess $name: %e s %M KB" /tmp/hallmark-bench assess "$repo" -q >/dev/null
done
