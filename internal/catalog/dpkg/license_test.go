package dpkg

import (
	"slices"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// The License fields below are real ones, from the copyright files of the
// Debian bookworm image ../shared/images builds.
func TestDEP5License(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"GPL-2+", []string{"GPL-2.0-or-later"}},
		{"GPL-2", []string{"GPL-2.0-only"}},
		{"GPL-2.0+", []string{"GPL-2.0-or-later"}},
		{"GPL-3.0", []string{"GPL-3.0-only"}},
		{"GPLv3+", []string{"GPL-3.0-or-later"}},
		{"LGPLv2.1+", []string{"LGPL-2.1-or-later"}},
		{"LGPL-3.0+ or GPL-2+", []string{"LGPL-3.0-or-later", "GPL-2.0-or-later"}},
		{"LGPLv3+_or_GPLv2+", []string{"LGPL-3.0-or-later", "GPL-2.0-or-later"}},
		{"GFDL-NIV-1.3+", []string{"GFDL-1.3-no-invariants-or-later"}},
		{"GFDL-NIV-1.3", []string{"GFDL-1.3-no-invariants-only"}},
		{"GPL-1+ or Artistic, and BSD-4-clause-POWERDOG", []string{"GPL-1.0-or-later", "Artistic-1.0-Perl", "LicenseRef-BSD-4-clause-POWERDOG"}},
		{"ISC and/or LGPL-2.1+", []string{"ISC", "LGPL-2.1-or-later"}},
		{"BSD-3-clause", []string{"BSD-3-Clause"}},
		{"BSD-4-clause-UC", []string{"BSD-4-Clause-UC"}},
		{"ZLIB", []string{"Zlib"}},
		{"Expat", []string{"MIT"}},
		{"Apache-2", []string{"Apache-2.0"}},
		{"BSL-1", []string{"BSL-1.0"}},
		{"CC-BY-3.0", []string{"CC-BY-3.0"}},
		{"FSFULLR", []string{"FSFULLR"}},
		{"Ms-PL", []string{"MS-PL"}},
		{"Beerware", []string{"Beerware"}},
		{"CC0 license", []string{"CC0-1.0"}},
		{"GPL-3+ with Bison exception", []string{"GPL-3.0-or-later WITH Bison-exception-2.2"}},
		{"GPL-3+ with Bison-2.2 exception", []string{"GPL-3.0-or-later WITH Bison-exception-2.2"}},
		{"GPL-3+ with autoconf exception", []string{"GPL-3.0-or-later WITH Autoconf-exception-3.0"}},
		{"GPL-2+ with Texinfo exception", []string{"GPL-2.0-or-later WITH Texinfo-exception"}},
		{"GPL-2 with Linux-syscall-note exception", []string{"GPL-2.0-only WITH Linux-syscall-note"}},
		{"GPL-3+ with GCC-exception", []string{"GPL-3.0-or-later WITH GCC-exception-3.1"}},
		// An exception not on the SPDX list is left out (it only grants more).
		{"GPL-2+ with distribution exception", []string{"GPL-2.0-or-later"}},
		{"BSD-3-clause-Cambridge with BINARY LIBRARY-LIKE PACKAGES exception", []string{"LicenseRef-BSD-3-clause-Cambridge"}},
		{"GPL-3+-WITH-BISON-EXCEPTION", []string{"LicenseRef-GPL-3-or-later-WITH-BISON-EXCEPTION"}},
		{"MIT/X11", []string{"LicenseRef-MIT-X11"}},
		{"ISC+IBM", []string{"LicenseRef-ISC-IBM"}},
		{"TCL-like+", []string{"LicenseRef-TCL-like-or-later"}},
		{"REGCOMP, and GPL-1+ or Artistic", []string{"LicenseRef-REGCOMP", "GPL-1.0-or-later", "Artistic-1.0-Perl"}},
		{"public-domain", []string{"LicenseRef-public-domain"}},
		{"Perl", []string{"Artistic-1.0-Perl OR GPL-1.0-or-later"}},
		// Prose is no expression.
		{"The main library is licensed under GNU Lesser", nil},
		{"", nil},
		{"with", nil},
		{"GPL-2+ with", []string{"GPL-2.0-or-later"}},
		{"+++", nil},
	} {
		got := dep5License(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("dep5License(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, e := range got {
			if _, err := license.Parse(e); err != nil {
				t.Errorf("dep5License(%q): %q: %v", c.in, e, err)
			}
		}
	}
}

func FuzzDEP5License(f *testing.F) {
	for _, s := range []string{"GPL-2+ or Artistic", "GPL-3+ with Bison exception", "LGPLv3+_or_GPLv2+", "a, and b with c d exception or e+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range dep5License(s) {
			if _, err := license.Parse(e); err != nil {
				t.Errorf("dep5License(%q): %q is no valid SPDX expression: %v", s, e, err)
			}
		}
	})
}
