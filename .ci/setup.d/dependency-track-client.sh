#!/usr/bin/env bash
# The real Dependency-Track client @dependency-track/bom (npm), run by
# internal/server's TestDependencyTrackClient against hallmark serve's
# Dependency-Track compatible API. Installed from the committed lockfile.
set -euo pipefail
cd internal/server/testdata/dt-client
npm ci --no-audit --no-fund
