#!/usr/bin/env bash
# cosign, for the interoperability tests of hallmark's bundles (internal/verify,
# internal/sign). Tests skip, saying why, when it is absent.
set -euo pipefail
command -v cosign >/dev/null && exit 0
go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3 || echo "cosign could not be installed: its interop tests will skip"
