package interop

import (
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func TestLocationRoundTrip(t *testing.T) {
	for _, l := range []sbom.Location{{Path: "a/package-lock.json", Line: 12}, {Path: "pom.xml"}, {Path: "C:dir/x.lock", Line: 3}, {Path: "odd:name"}} {
		if got := ParseLocation(FormatLocation(l)); got != l {
			t.Errorf("ParseLocation(FormatLocation(%+v)) = %+v", l, got)
		}
	}
	if got := ParseLocation("a:007"); got != (sbom.Location{Path: "a:007"}) {
		t.Errorf("ParseLocation(a:007) = %+v, want no line", got)
	}
}

func TestUUID(t *testing.T) {
	a, b := UUID([]byte("x")), UUID([]byte("y"))
	if a == b || a != UUID([]byte("x")) || len(a) != 36 || a[14] != '8' {
		t.Errorf("UUID: %q %q", a, b)
	}
}

func TestValidURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://registry.npmjs.org/a/-/a-1.tgz": true, "git+ssh://git@github.com/a/b.git#c": true,
		"../ui-kit": false, "git@github.com:a/b.git": false, "https://x/a b": false, "": false, "1http://x": false,
	} {
		if got := ValidURL(s); got != want {
			t.Errorf("ValidURL(%q) = %v, want %v", s, got, want)
		}
	}
}
