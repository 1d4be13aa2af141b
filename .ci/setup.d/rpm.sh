#!/usr/bin/env bash
# Debian's rpm (4.18) for internal/catalog/rpm TestAgainstRPM: the package set
# hallmark reads from real rpm databases is compared with `rpm -qa --dbpath`.
# Also what internal/version/testdata/gen.sh uses for the rpm ordering fixture.
# Other setup scripts run apt at the same time: wait for its locks.
set -euo pipefail
if ! command -v rpm >/dev/null; then
	for i in $(seq 1 60); do
		apt-get -o DPkg::Lock::Timeout=600 update -qq && break
		[ "$i" -lt 60 ] || exit 1
		sleep 5
	done
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends rpm >/dev/null
fi
rpm --version
