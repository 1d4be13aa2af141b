// Package conformance holds no code: its tests check that every SBOM
// hallmark writes from the shared lockfile corpus, with whatever catalogers
// are registered in internal/catalog/all, validates against the official
// CycloneDX 1.6, CycloneDX 1.7 and SPDX 2.3 schemas, lists every component in
// the dependency graph, is deterministic, and reads back.
package conformance
