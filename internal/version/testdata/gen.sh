#!/bin/sh
# Regenerates the ordering fixtures from each ecosystem's own tool:
#   npm-semver.txt   node-semver (npm i semver@7 in a temporary directory)
#   debian-dpkg.txt  dpkg --compare-versions
# Each line is "a < b" or "a = b" for consecutive versions after sorting
# the candidate lists below with the tool. PyPI has no fixture here: the
# python "packaging" module is not installed on this machine and pip cannot
# reach PyPI.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
