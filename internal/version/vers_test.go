package version

import (
	"errors"
	"testing"
)

func TestVers(t *testing.T) {
	for _, c := range []struct {
		vers, eco string
		in, out   []string
	}{
		{"vers:npm/>=7.0.0|<7.5.10", "npm", []string{"7.0.0", "7.5.9", "7.5.10-rc.1"}, []string{"6.2.2", "7.5.10", "8.0.0"}},
		// Several intervals, and an exclusion inside one.
		{"vers:npm/<2.0.0|>=3.0.0|!=3.1.0|<4.0.0|>=5.0.0", "npm", []string{"1.9.9", "3.0.0", "3.2.0", "5.0.0", "9.0.0"}, []string{"2.0.0", "2.5.0", "3.1.0", "4.0.0", "4.9.9"}},
		// Unsorted input is sorted; "=" alone.
		{"vers:pypi/<1.0|>=0.5", "PyPI", []string{"0.5", "0.9.1", "0.5.0"}, []string{"0.4", "1.0", "1.0.post1"}},
		{"vers:pypi/1.0|1.2", "PyPI", []string{"1.0", "1.0.0", "1.2"}, []string{"1.1", "0.9"}},
		{"vers:npm/*", "npm", []string{"0.0.1", "99.0.0"}, nil},
		// dpkg ordering: epochs and tildes.
		{"vers:deb/>=2.36-9|<2.36-9+deb12u4", "Debian", []string{"2.36-9", "2.36-9+deb12u3"}, []string{"2.36-9+deb12u4", "2.36-8", "1:2.30-1"}},
		{"vers:deb/<1:1.0", "Debian", []string{"9.9", "1:0.9"}, []string{"1:1.0", "2:0.1"}},
		{"vers:maven/>=2.0|<=2.17.0", "Maven", []string{"2.0", "2.14.1", "2.17.0"}, []string{"2.17.1", "1.2.17"}},
	} {
		r, err := ParseVers(c.vers, c.eco)
		if err != nil {
			t.Errorf("ParseVers(%q): %v", c.vers, err)
			continue
		}
		for _, want := range []struct {
			vs []string
			in bool
		}{{c.in, true}, {c.out, false}} {
			for _, s := range want.vs {
				v, err := Parse(c.eco, s)
				if err != nil {
					t.Fatalf("%s %q: %v", c.eco, s, err)
				}
				if got := r.Contains(v); got != want.in {
					t.Errorf("%s contains %s: %v, want %v", c.vers, s, got, want.in)
				}
			}
		}
	}
}

func TestVersMalformed(t *testing.T) {
	for _, s := range []string{"", "npm/>=1.0.0", "vers:", "vers:npm", "vers:npm/", "vers:/>=1.0.0", "vers:npm/>=", "vers:npm/>=1.0.0|", "vers:npm/1.0.0|=1.0.0",
		"vers:npm/>=not a version", "vers:npm/>=x.y", "vers:npm/" + string(make([]byte, 5000))} {
		if _, err := ParseVers(s, "npm"); !errors.Is(err, ErrVers) {
			t.Errorf("ParseVers(%q): %v, want ErrVers", s, err)
		}
	}
}

func FuzzVers(f *testing.F) {
	for _, s := range []string{"vers:npm/>=7.0.0|<7.5.10", "vers:npm/<2.0.0|>=3.0.0|!=3.1.0|<4.0.0", "vers:npm/*", "vers:npm/1.0.0"} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		r, err := ParseVers(s, "npm")
		if err != nil {
			return
		}
		if pv, err := Parse("npm", v); err == nil {
			r.Contains(pv)
		}
	})
}
