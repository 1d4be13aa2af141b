#!/usr/bin/env bash
# The BSI's csaf-validator-lib (the validator Secvisogram uses), for
# internal/vex's and internal/cli's tests: a second, independent
# implementation of the CSAF 2.0 schema and mandatory tests checks the
# documents hallmark writes.
set -euo pipefail
cd internal/vex/testdata/csaf-validator
npm ci --no-audit --no-fund
