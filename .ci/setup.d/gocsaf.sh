#!/usr/bin/env bash
# gocsaf's csaf_checker and csaf_downloader (the BSI's CSAF provider checker
# and downloader), for internal/cli's test that reads the advisory feed
# hallmark serve export-feed writes as a customer's tool would. v3.6.0: v3.7
# needs a newer Go than this machine's. Exports HALLMARK_GOCSAF_BIN, the
# directory holding them.
set -euo pipefail
bin="$(go env GOPATH)/gocsaf-v3.6.0/bin"
if [ ! -x "$bin/csaf_checker" ] || [ ! -x "$bin/csaf_downloader" ]; then
	GOBIN="$bin" go install github.com/gocsaf/csaf/v3/cmd/csaf_checker@v3.6.0 github.com/gocsaf/csaf/v3/cmd/csaf_downloader@v3.6.0
fi
echo "HALLMARK_GOCSAF_BIN=$bin" >>"$CI_ENV"
