package version

import "testing"

func TestActionsInvalid(t *testing.T) {
	for _, s := range []string{"main", "master", "v", "v4.x", "4..1", "08c6903cd8c0fde910a37f88322edcfb5dd907a8", "release/v1", "v1.2.3.4.5"} {
		if _, err := Strict(EcosystemActions, s); err == nil {
			t.Errorf("Strict(GitHub Actions, %q): no error", s)
		}
	}
	if !Supported(EcosystemActions) {
		t.Error("GitHub Actions not supported")
	}
}

func TestMovingTag(t *testing.T) {
	tests := []struct {
		ref, lower, upper string
		ok                bool
	}{
		{"v4", "4", "5", true},
		{"4", "4", "5", true},
		{"v4.1", "4.1", "4.2", true},
		{"v4.1.1", "", "", false},
		{"v45", "45", "46", true},
		{"v5-beta", "", "", false},
		{"main", "", "", false},
	}
	for _, tt := range tests {
		lo, up, ok := MovingTag(tt.ref)
		if lo != tt.lower || up != tt.upper || ok != tt.ok {
			t.Errorf("MovingTag(%q) = %q, %q, %v; want %q, %q, %v", tt.ref, lo, up, ok, tt.lower, tt.upper, tt.ok)
		}
	}
}

func FuzzActions(f *testing.F) {
	for _, s := range []string{"v4", "41", "2.2.0", "v5.0.0-beta.1+b", "1.2.3.4"} {
		f.Add(s, "v4.1.1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err1 := Parse(EcosystemActions, a)
		vb, err2 := Parse(EcosystemActions, b)
		if err1 != nil || err2 != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) not antisymmetric", a, b)
		}
		if va.Compare(va) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
	})
}
