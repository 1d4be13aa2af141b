package osv

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	valid := `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"valid", valid, true},
		{"git only without package", `{"id":"PSF-2007-1","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"}]}]}]}`, true},
		{"truncated", valid[:len(valid)/2], false},
		{"not an object", `[1,2,3]`, false},
		{"wrong types", `{"id":1,"modified":"x"}`, false},
		{"no id", `{"modified":"2024-01-01T00:00:00Z"}`, false},
		{"id with slash", `{"id":"../../etc","modified":"x"}`, false},
		{"no modified", `{"id":"GHSA-1"}`, false},
		{"two keys in an event", strings.Replace(valid, `{"fixed":"1.0.0"}`, `{"fixed":"1.0.0","introduced":"0.5"}`, 1), false},
		{"empty event", strings.Replace(valid, `{"fixed":"1.0.0"}`, `{}`, 1), false},
		{"unknown range type", strings.Replace(valid, `"SEMVER"`, `"CALVER"`, 1), false},
		{"no events", `{"id":"GHSA-1","modified":"x","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[]}]}]}`, false},
		{"name without ecosystem", `{"id":"GHSA-1","modified":"x","affected":[{"package":{"name":"x"}}]}`, false},
		{"trailing data", valid + `{}`, false},
		{"deep nesting", `{"id":"GHSA-1","modified":"x","database_specific":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, false},
		{"huge", `{"id":"GHSA-1","modified":"x","details":"` + strings.Repeat("a", 9<<20) + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("Parse: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if err == nil && e.ID == "" {
				t.Error("no id")
			}
		})
	}
}

func TestIsMaliciousAndBase(t *testing.T) {
	if !(&Entry{ID: "MAL-2024-1"}).IsMalicious() || !(&Entry{ID: "GHSA-1", Aliases: []string{"MAL-2024-2"}}).IsMalicious() || (&Entry{ID: "GHSA-1"}).IsMalicious() {
		t.Error("IsMalicious")
	}
	if BaseEcosystem("Debian:11") != "Debian" || BaseEcosystem("npm") != "npm" {
		t.Error("BaseEcosystem")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}],"versions":["0.1"]}]}`))
	f.Add([]byte(`{"id":"PYSEC-2024-1","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		if e.ID == "" || e.Modified == "" {
			t.Fatalf("accepted a record without id or modified: %q", b)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
	})
}
