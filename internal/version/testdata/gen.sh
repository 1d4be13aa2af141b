#!/bin/sh
# Regenerates the ordering fixtures from each ecosystem's own tool:
#   npm-semver.txt   node-semver (npm i semver@7 in a temporary directory)
#   debian-dpkg.txt  dpkg --compare-versions
#   redhat-rpm.txt   rpm's own rpm.vercmp (apt-get install rpm), on real
#                    version pairs: consecutive fixed versions of the same
#                    package in ../shared/osv's AlmaLinux advisories, the
#                    installed versions of go-rpmdb's Rocky 9 test database
#                    against AlmaLinux 9's fixes, and rpmvercmp's edge cases
#   (apk)            apk-tools' own test vectors (test/unit/version.data of a
#                    checkout named by $APK_TOOLS), written outside the repository; apk-tools is not packaged
#                    for Debian): its "a < b", "a > b" and "a = b" lines
# Each line is "a < b", "a = b" or "a > b". For npm and dpkg the lines are
# consecutive versions after sorting the candidate lists below with the tool.
# PyPI has no fixture here: the python "packaging" module is not installed
# on this machine and pip cannot reach PyPI.
# `gen.sh rpm` or `gen.sh apk` regenerates only that file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$(cd "$here/../../.." && pwd)

gen_rpm() {
	rpmdb=$(cd "$repo" && go list -m -f '{{.Dir}}' github.com/knqyf263/go-rpmdb)
	python3 - "$repo/../shared/osv/AlmaLinux/all.zip" "$rpmdb/pkg/rpmdb_testcase_test.go" >"$tmp/pairs" <<'PY'
import json, re, sys, zipfile
osv_zip, testcase = sys.argv[1], sys.argv[2]
fixed = {}  # (ecosystem, name) -> fixed versions, in advisory id order
with zipfile.ZipFile(osv_zip) as z:
    for n in sorted(z.namelist()):
        for a in json.loads(z.read(n)).get("affected", []):
            k = (a["package"]["ecosystem"], a["package"]["name"])
            for r in a.get("ranges", []):
                for e in r.get("events", []):
                    if "fixed" in e and e["fixed"] not in fixed.setdefault(k, []):
                        fixed[k].append(e["fixed"])
pairs = []
keys = sorted(k for k, v in fixed.items() if len(v) >= 2)
for k in keys[::max(1, len(keys) // 150)]:
    v = fixed[k]
    for i in range(1, min(len(v), 4)):
        pairs.append((v[i - 1], v[i]))
rx = re.compile(r'^\s*\{intRef\((\d*)\), "([^"]*)", "([^"]*)", "([^"]*)"')
inrocky = False
for l in open(testcase):
    if "Rockylinux9WithSQLite3 = func()" in l:
        inrocky = True
    elif inrocky and l.strip() == "}":
        inrocky = False
    elif inrocky and rx.match(l):
        ep, name, ver, rel = rx.match(l).groups()
        for f in fixed.get(("AlmaLinux:9", name), [])[-2:]:
            pairs.append(((ep + ":" if ep else "") + ver + "-" + rel, f))
edge = """1.0 1.0|1.0 1.0.0|1.0 1.0a|1.0a 1.0b|1.0 1.0~rc1|1.0~rc1 1.0~rc2|1.0~rc1 1.0~~|1.0 1.0^|1.0^ 1.0.1
1.0^git1 1.0^git2|1.0~rc1^git1 1.0~rc1|1.0^git1~pre 1.0^git1|1:1.0 2.0|0:1.0 1.0|1:1.0-1 1:1.0-2|2:0.1 1:9.9
1.01 1.1|1.001 1.1|1.0-1 1.0|1.0-1.el9 1.0-1.el9_0|1.0-1.el9_3 1.0-1.el9_3.alma
1.0-26.el9_3.2.0.1 1.0-26.el9_3.alma.1|1.0-26.el9_3.2 1.0-26.el9_3.alma.1|1.0-2.el8 1.0-2.el8_10
1.0-2.module_el8.9.0+3627+db8ec155 1.0-2.module_el8.10.0+3858+6ad51f9f|5.0 5.0.a|a b|1.0_1 1.0.1|1.0+1 1.0.1
2.0b1 2.0.1|1.2.3-0.1 1.2.3-0.a|10 9|1.0010 1.9|12 1a|a 1"""
for p in edge.replace("\n", "|").split("|"):
    pairs.append(tuple(p.split()))
seen = set()
for a, b in pairs:
    if (a, b) not in seen and (a != b or a == "1.0"):
        seen.add((a, b))
        print(a, b)
PY
	{
		echo "# rpm $(rpm --version | sed 's/RPM version //'): rpm --eval '%{lua: rpm.vercmp(a, b)}' (gen.sh)"
		rpm --eval "%{lua: for l in io.lines('$tmp/pairs') do local a, b = l:match('^(%S+) (%S+)\$'); local c = rpm.vercmp(a, b); print(a .. ' ' .. (c < 0 and '<' or (c > 0 and '>' or '=')) .. ' ' .. b .. '\\n') end}" | grep -v '^$'
	} >"$here/redhat-rpm.txt"
}

# apk-tools' vectors are GPL-2.0-only: they are written OUTSIDE the repository
# (OUT, default /tmp/apk-tools-vectors.txt) and checked with
# HALLMARK_APK_VECTORS=$OUT go test -run ApkToolsVectors ./internal/version.
gen_apk() {
	: "${APK_TOOLS:?set APK_TOOLS to a git checkout of alpinelinux/apk-tools}"
	out=${OUT:-/tmp/apk-tools-vectors.txt}
	{
		echo "# apk-tools $(git -C "$APK_TOOLS" rev-parse HEAD) test/unit/version.data: its comparisons (GPL-2.0-only)"
		git -C "$APK_TOOLS" show HEAD:test/unit/version.data | sed 's/#.*//' |
			awk 'NF==3 && ($2=="<" || $2==">" || $2=="=") {print $1, $2, $3}'
	} >"$out"
	echo "wrote $out: HALLMARK_APK_VECTORS=$out go test -run ApkToolsVectors ./internal/version" >&2
}

case "${1:-all}" in
rpm) gen_rpm; exit 0 ;;
apk) gen_apk; exit 0 ;;
esac
(cd "$tmp" && npm i semver@7 --silent >/dev/null 2>&1)
NODE_PATH=$tmp/node_modules node - >"$here/npm-semver.txt" <<'JS'
const semver = require("semver");
const vs = ["0.0.0","0.0.1","0.1.0","1.0.0-0","1.0.0-alpha","1.0.0-alpha.1","1.0.0-alpha.beta","1.0.0-beta",
 "1.0.0-beta.2","1.0.0-beta.11","1.0.0-rc.1","1.0.0","1.0.0+build.5","1.0.1","1.2.3-pre.10","1.2.3-pre.9","1.2.3",
 "1.10.0","1.9.0","2.0.0-0","2.0.0-rc.1+sha.abc","2.0.0","10.0.0","v3.0.0","3.0.0-x.7.z.92","3.0.0-x-y-z.--",
 "4.17.20","4.17.21","999.9.9","1.0.0-1","1.0.0-01a","7.5.9","7.5.10"];
const sorted = [...vs].sort(semver.compare);
console.log("# node-semver " + require("semver/package.json").version + ": semver.compare");
for (let i = 1; i < sorted.length; i++) {
  const c = semver.compare(sorted[i-1], sorted[i]);
  console.log(sorted[i-1] + (c === 0 ? " = " : " < ") + sorted[i]);
}
JS
vs="0.9 1.0 1.0-1 1.0-1ubuntu1 1.0-1+deb10u1 1.0~rc1 1.0~rc1-1 1:0.5 1:1.0 2:0.1 1.0.0 1.0a 1.0+b1 1.0~~ 1.0~ 1.00 01.0 2.4.2-6+lenny1 2.8.6-1 7.88.1-10+deb12u5 7.88.1-10+deb12u12 1.2.3-0ubuntu0.22.04.1 1.2.3-0ubuntu0.22.04.10"
echo "# dpkg $(dpkg --version | head -n 1 | sed 's/.*version //'): dpkg --compare-versions" >"$here/debian-dpkg.txt"
printf '%s\n' $vs | sort -u >"$tmp/list"
# insertion sort with dpkg as the comparator
: >"$tmp/sorted"
while read -r v; do
	placed=0
	: >"$tmp/next"
	while read -r s; do
		if [ $placed -eq 0 ] && dpkg --compare-versions "$v" lt "$s"; then
			echo "$v" >>"$tmp/next"
			placed=1
		fi
		echo "$s" >>"$tmp/next"
	done <"$tmp/sorted"
	[ $placed -eq 1 ] || echo "$v" >>"$tmp/next"
	mv "$tmp/next" "$tmp/sorted"
done <"$tmp/list"
prev=
while read -r s; do
	if [ -n "$prev" ]; then
		if dpkg --compare-versions "$prev" eq "$s"; then echo "$prev = $s"; else echo "$prev < $s"; fi
	fi
	prev=$s
done <"$tmp/sorted" >>"$here/debian-dpkg.txt"
gen_rpm
[ -z "${APK_TOOLS:-}" ] || gen_apk
