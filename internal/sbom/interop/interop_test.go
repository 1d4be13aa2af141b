package interop

import (
	"fmt"
	"io"
	"strings"
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

func TestEncodeStamped(t *testing.T) {
	var id string
	encode := func(name string) func(w io.Writer) error {
		return func(w io.Writer) error {
			_, err := fmt.Fprintf(w, `{"id":%q,"name":%q}`, id, name)
			return err
		}
	}
	set := func(uuid string) { id = uuid }
	a, err := EncodeStamped(set, encode("a"))
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := EncodeStamped(set, encode("a"))
	b, _ := EncodeStamped(set, encode("b"))
	if string(a) != string(a2) {
		t.Errorf("not deterministic: %s vs %s", a, a2)
	}
	if string(a) == string(b) || strings.Contains(string(a), placeholderUUID) {
		t.Errorf("identifier not derived from content: %s, %s", a, b)
	}
	// Content that itself holds the placeholder: it is left alone and the
	// identifier still derived from the content.
	c, _ := EncodeStamped(set, encode(placeholderUUID))
	if !strings.Contains(string(c), `"name":"`+placeholderUUID+`"`) || strings.Count(string(c), placeholderUUID) != 1 {
		t.Errorf("placeholder in content mishandled: %s", c)
	}
}
