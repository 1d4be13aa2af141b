// Package sharedtest locates the project's shared test material
// (../shared beside the repository: the lockfile corpus, the OSV snapshot,
// schemas, Sigstore material). Tests that need it skip, saying why, when it
// is absent; CI always has it.
package sharedtest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var root = sync.OnceValue(func() string {
	if d := os.Getenv("HALLMARK_SHARED"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
})

// Path returns the absolute path of rel inside the shared directory, or skips
// the test when it does not exist.
func Path(t testing.TB, rel string) string {
	t.Helper()
	r := root()
	if r == "" {
		t.Skip("shared test material not found: no go.mod above the working directory and HALLMARK_SHARED unset")
	}
	p := filepath.Join(r, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test material %s not found (%v); CI checks out ../shared beside the repository", p, err)
	}
	return p
}
