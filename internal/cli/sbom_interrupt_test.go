package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// An interrupted run (Ctrl-C cancels the context) writes nothing and fails:
// a partial walk must never pass for a complete SBOM or a clean scan.
func TestSBOMInterruptedWritesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"sbom", t.TempDir()}, nil, &stdout, &stderr)
	if code != ExitError || stdout.Len() != 0 || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing written, 'interrupted'", code, stdout.String(), stderr.String())
	}
}
