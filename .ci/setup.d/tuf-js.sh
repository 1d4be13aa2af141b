#!/usr/bin/env bash
# tuf-js, the TUF client npm and Sigstore use, for internal/tuf's interop
# test (a second, independent client reads hallmark's repository).
set -euo pipefail
cd internal/tuf/testdata/tuf-js
npm ci --no-audit --no-fund
