package diff

import (
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func doc(pkgs ...string) *sbom.Document {
	d := &sbom.Document{}
	for _, p := range pkgs {
		name, v, _ := strings.Cut(p, "@")
		d.Add(sbom.Package{Name: name, Version: v, Ecosystem: sbom.EcosystemNPM, PURL: "pkg:npm/" + p})
	}
	return d
}

func TestCompare(t *testing.T) {
	a := doc("ws@7.5.9", "ws@8.18.0", "left-pad@1.3.0", "same@1.0.0")
	b := doc("ws@7.5.10", "ws@8.18.0", "chalk@5.0.0", "same@1.0.0")
	d := Compare(a, b, nil, nil)
	if len(d.Added) != 1 || d.Added[0].Name != "chalk" || len(d.Removed) != 1 || d.Removed[0].Name != "left-pad" {
		t.Errorf("added %v removed %v", d.Added, d.Removed)
	}
	if len(d.Changed) != 1 || d.Changed[0].From != "7.5.9, 8.18.0" || d.Changed[0].To != "7.5.10, 8.18.0" {
		t.Errorf("changed %v", d.Changed)
	}
	var out strings.Builder
	Table(&out, d, "1.0", "1.1")
	if !strings.Contains(out.String(), "1 added, 1 removed, 1 changed") {
		t.Errorf("table:\n%s", out.String())
	}
}
