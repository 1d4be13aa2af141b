#!/usr/bin/env bash
# gocsaf's csaf_checker (the BSI's CSAF provider checker), for internal/cli's
# test that reads the advisory feed hallmark serve export-feed writes as a
# customer's tool would. v3.6.0: v3.7 needs a newer Go than this machine's.
# Exports HALLMARK_GOCSAF_BIN, the directory holding csaf_checker.
set -euo pipefail
bin="$(go env GOPATH)/gocsaf-v3.6.0/bin"
if [ ! -x "$bin/csaf_checker" ]; then
	GOBIN="$bin" go install github.com/gocsaf/csaf/v3/cmd/csaf_checker@v3.6.0
fi
echo "HALLMARK_GOCSAF_BIN=$bin" >>"$CI_ENV"
