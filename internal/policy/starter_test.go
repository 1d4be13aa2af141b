package policy

import "testing"

// TestStarter checks that the starter policy compiles with every rule kind.
func TestStarter(t *testing.T) {
	p, err := Parse("starter.yaml", Starter)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Kind]bool{}
	for _, r := range p.Rules {
		seen[r.Kind] = true
	}
	for _, k := range kinds {
		if !seen[k] {
			t.Errorf("starter policy has no %s rule", k)
		}
	}
}
