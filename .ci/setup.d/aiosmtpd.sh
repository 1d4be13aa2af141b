#!/usr/bin/env bash
# A real SMTP server for the e-mail notification tests (internal/server
# TestMailNotifications): Debian's python3-aiosmtpd, started by the test on
# loopback (with STARTTLS, and without), exported as HALLMARK_TEST_AIOSMTPD
# (the python3 that has it).
set -euo pipefail
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	.ci/apt-install python3-aiosmtpd
fi
echo "HALLMARK_TEST_AIOSMTPD=/usr/bin/python3" >>"$CI_ENV"
/usr/bin/python3 -m aiosmtpd --version
