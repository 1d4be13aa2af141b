#!/usr/bin/env bash
# Debian's chromium for the browser tests of the web UI (internal/server
# TestBrowser, driven by chromedp); exported as HALLMARK_TEST_CHROMIUM.
set -euo pipefail
if ! command -v chromium >/dev/null; then
	.ci/apt-install chromium
fi
echo "HALLMARK_TEST_CHROMIUM=$(command -v chromium)" >>"$CI_ENV"
chromium --version
