package dpkg

import (
	"bytes"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// licenses reads the DEP-5 machine-readable copyright file
// (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/) of a
// package: every License field's short names, as SPDX expressions. A
// copyright file in free form gives none.
func licenses(fsys fs.FS, root, name string) []string {
	b, err := catalog.ReadFile(fsys, join(root, "usr/share/doc/"+name+"/copyright"))
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("Format:")) {
		return nil
	}
	var out []string
	for l := range bytes.Lines(b) {
		bv, ok := bytes.CutPrefix(l, []byte("License:"))
		if !ok {
			continue
		}
		for _, id := range dep5License(string(bytes.TrimSpace(bv))) {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// dep5License reads the first line of a License field, a DEP-5 short-name
// expression ("GPL-2+ or Artistic", "GPL-3+ with Bison exception",
// "BSD-3-clause and/or GPL-3+"), and returns the licences it names, each
// an SPDX expression: a listed identifier in its canonical form, "ID WITH
// EXCEPTION" when the exception is on the SPDX list (an exception only
// grants more, so one that is not is left out), or a LicenseRef- for a
// name of the package's own. A line that is prose, not an expression (two
// names with no operator between them), gives nothing.
func dep5License(v string) []string {
	v = strings.NewReplacer("_or_", " or ", "_and_", " and ", ",", " , ").Replace(v)
	words := strings.Fields(v)
	var out []string
	expectName := true
	for i := 0; i < len(words); i++ {
		w := words[i]
		if isOperator(w) {
			expectName = true
			continue
		}
		if strings.EqualFold(w, "with") {
			// "with NAME... exception" (or "with NAME-exception"): the
			// exception applies to the licence just read.
			j := i + 1
			for j < len(words) && !strings.EqualFold(words[j], "exception") && !isOperator(words[j]) {
				j++
			}
			name := strings.Join(words[i+1:j], "-")
			if j < len(words) && strings.EqualFold(words[j], "exception") {
				j++
			}
			if len(out) > 0 && name != "" && !strings.Contains(out[len(out)-1], " ") {
				if exc, ok := dep5Exception(trimSuffixFold(name, "-exception"), out[len(out)-1]); ok {
					out[len(out)-1] += " WITH " + exc
				}
			}
			i = j - 1
			continue
		}
		if !expectName {
			if strings.EqualFold(w, "license") || strings.EqualFold(w, "licence") {
				continue // "CC0 license"
			}
			return nil
		}
		expectName = false
		if id := dep5Name(w); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func isOperator(w string) bool {
	switch strings.ToLower(w) {
	case "or", "and", "and/or", "|", ",":
		return true
	}
	return false
}

func trimSuffixFold(s, suffix string) string {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)]
	}
	return s
}

// debianSPDX maps DEP-5 short names that are not SPDX identifiers (nor
// follow the versioned patterns dep5Name reads) to SPDX expressions.
var debianSPDX = map[string]string{
	"expat": "MIT", "artistic": "Artistic-1.0-Perl", "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",
	"public-domain": "LicenseRef-public-domain", "cc0": "CC0-1.0", "psf-2": "PSF-2.0",
	"unicode-data": "Unicode-DFS-2016", "gpl": "LicenseRef-GPL", "lgpl": "LicenseRef-LGPL",
}

// gnuName reads the GNU licences as Debian names them: GPL-2, GPL-2.0,
// GPLv2, LGPL-2.1, AGPL-3, GFDL-1.3, GFDL-NIV-1.3 (no invariant sections).
var gnuName = regexp.MustCompile(`^(?i)(a?gpl|lgpl|gfdl|gfdl-niv)-?v?([1-3])(?:\.([0-9]))?$`)

// dep5Name maps one DEP-5 short name to an SPDX expression: Debian's own
// names (Expat, GPL-2+, GFDL-NIV-1.3), any SPDX identifier in any case,
// a version without its ".0" (Apache-2, BSL-1), and otherwise a
// LicenseRef- of the name.
func dep5Name(name string) string {
	if id, ok := debianSPDX[strings.ToLower(name)]; ok {
		return id
	}
	base, plus := strings.CutSuffix(name, "+")
	if m := gnuName.FindStringSubmatch(base); m != nil {
		family, minor := strings.ToUpper(m[1]), m[3]
		if minor == "" {
			minor = "0"
		}
		suffix := "-only"
		if plus {
			suffix = "-or-later"
		}
		id := family + "-" + m[2] + "." + minor
		if family == "GFDL-NIV" {
			id = "GFDL-" + m[2] + "." + minor + "-no-invariants"
		}
		if canon, ok := license.ID(id + suffix); ok {
			return canon
		}
	}
	for _, cand := range []string{base, base + ".0"} {
		if id, ok := license.ID(cand); ok {
			if plus && !strings.HasSuffix(id, "-or-later") {
				return id + "+"
			}
			return id
		}
	}
	return licenseRef(name)
}

// licenseRef makes a LicenseRef- identifier of a package's own licence
// name with license.Ref, a "+" that ends a version read as "or later"
// ("GPL-3+-WITH-BISON-EXCEPTION": LicenseRef-GPL-3-or-later-WITH-...); a
// name without a letter or digit gives none.
func licenseRef(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }) {
		return ""
	}
	name = strings.ReplaceAll(name, "+-", "-or-later-")
	if base, ok := strings.CutSuffix(name, "+"); ok {
		name = base + "-or-later"
	}
	return license.Ref(name)
}

// dep5Exception names an exception on the SPDX list from the words of
// "with WORDS exception", given the licence it applies to (GCC's and
// Autoconf's exceptions have one version per GPL version).
func dep5Exception(words, lic string) (string, bool) {
	gpl3 := strings.HasPrefix(lic, "GPL-3")
	switch strings.ToLower(words) {
	case "gcc", "gcc-runtime-library":
		if gpl3 {
			return "GCC-exception-3.1", true
		}
		return "GCC-exception-2.0", true
	case "autoconf":
		if gpl3 {
			return "Autoconf-exception-3.0", true
		}
		return "Autoconf-exception-2.0", true
	case "bison", "bison-2.2":
		return "Bison-exception-2.2", true
	case "texinfo":
		return "Texinfo-exception", true
	}
	for _, cand := range []string{words, words + "-exception"} {
		if id, ok := license.ExceptionID(cand); ok {
			return id, true
		}
	}
	return "", false
}
