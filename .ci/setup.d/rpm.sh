#!/usr/bin/env bash
# Debian's rpm (4.18) for internal/catalog/rpm TestAgainstRPM: the package set
# hallmark reads from real rpm databases is compared with `rpm -qa --dbpath`.
# Also what internal/version/testdata/gen.sh uses for the rpm ordering fixture.
set -euo pipefail
if ! command -v rpm >/dev/null; then
	.ci/apt-install rpm
fi
rpm --version
