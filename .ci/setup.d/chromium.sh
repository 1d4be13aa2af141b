#!/usr/bin/env bash
# Debian's chromium for the browser tests of the web UI (internal/server
# TestBrowser, driven by chromedp); exported as HALLMARK_TEST_CHROMIUM.
set -euo pipefail
if ! command -v chromium >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "HALLMARK_TEST_CHROMIUM=$(command -v chromium)" >>"$CI_ENV"
chromium --version
