package python

import (
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// classifierSPDX maps Trove license classifiers
// (https://pypi.org/classifiers/, "License :: ...") to SPDX identifiers.
// Classifiers that name a family without a version ("BSD License",
// "GNU General Public License (GPL)") have no single SPDX id and are absent:
// the License field then decides.
var classifierSPDX = map[string]string{
	"OSI Approved :: MIT License":                                                "MIT",
	"OSI Approved :: MIT No Attribution License (MIT-0)":                         "MIT-0",
	"OSI Approved :: Apache Software License":                                    "Apache-2.0",
	"OSI Approved :: ISC License (ISCL)":                                         "ISC",
	"OSI Approved :: Python Software Foundation License":                         "PSF-2.0",
	"OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)":                       "MPL-1.1",
	"OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                       "MPL-2.0",
	"OSI Approved :: The Unlicense (Unlicense)":                                  "Unlicense",
	"OSI Approved :: Zope Public License":                                        "ZPL-2.1",
	"OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)":                       "EPL-2.0",
	"OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)":                       "EPL-1.0",
	"OSI Approved :: Academic Free License (AFL)":                                "AFL-3.0",
	"OSI Approved :: Artistic License":                                           "Artistic-2.0",
	"OSI Approved :: Boost Software License 1.0 (BSL-1.0)":                       "BSL-1.0",
	"OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)":               "EUPL-1.2",
	"OSI Approved :: GNU Affero General Public License v3":                       "AGPL-3.0-only",
	"OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)":    "AGPL-3.0-or-later",
	"OSI Approved :: GNU General Public License v2 (GPLv2)":                      "GPL-2.0-only",
	"OSI Approved :: GNU General Public License v2 or later (GPLv2+)":            "GPL-2.0-or-later",
	"OSI Approved :: GNU General Public License v3 (GPLv3)":                      "GPL-3.0-only",
	"OSI Approved :: GNU General Public License v3 or later (GPLv3+)":            "GPL-3.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":              "LGPL-2.0-only",
	"OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)":    "LGPL-2.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":              "LGPL-3.0-only",
	"OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)":    "LGPL-3.0-or-later",
	"OSI Approved :: Universal Permissive License (UPL)":                         "UPL-1.0",
	"OSI Approved :: zlib/libpng License":                                        "Zlib",
	"OSI Approved :: PostgreSQL License":                                         "PostgreSQL",
	"OSI Approved :: Historical Permission Notice and Disclaimer (HPND)":         "HPND",
	"OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
	"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                       "CC0-1.0",
	"Public Domain": "LicenseRef-Public-Domain",
}

// licenseSPDX maps common free-text License field values to SPDX ids. Keys
// are lower-cased. Unknown short values are kept as written.
var licenseSPDX = map[string]string{
	"mit": "MIT", "mit license": "MIT", "the mit license": "MIT", "expat": "MIT", "expat (mit/x11)": "MIT",
	"apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache 2": "Apache-2.0", "apache license 2.0": "Apache-2.0",
	"apache license, version 2.0": "Apache-2.0", "apache software license": "Apache-2.0", "asl 2": "Apache-2.0",
	"apache license version 2.0": "Apache-2.0", "apache software license 2.0": "Apache-2.0", "apache2": "Apache-2.0",
	"bsd-3": "BSD-3-Clause", "3-clause bsd": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause",
	"bsd 3-clause license": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause",
	"modified bsd license": "BSD-3-Clause", "revised bsd license": "BSD-3-Clause",
	"bsd-2": "BSD-2-Clause", "2-clause bsd": "BSD-2-Clause", "simplified bsd": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause",
	"isc": "ISC", "isc license": "ISC", "mpl 2.0": "MPL-2.0", "mpl-2.0": "MPL-2.0", "mozilla public license 2.0": "MPL-2.0",
	"psf": "PSF-2.0", "psf license": "PSF-2.0", "python software foundation license": "PSF-2.0",
	"gplv2": "GPL-2.0-only", "gplv2+": "GPL-2.0-or-later", "gplv3": "GPL-3.0-only", "gplv3+": "GPL-3.0-or-later",
	"lgplv3": "LGPL-3.0-only", "lgpl v3": "LGPL-3.0-only", "lgplv3+": "LGPL-3.0-or-later", "lgplv2+": "LGPL-2.0-or-later",
	"unlicense": "Unlicense", "the unlicense": "Unlicense", "cc0": "CC0-1.0", "zpl 2.1": "ZPL-2.1",
}

// licenses returns the declared licenses of an installed package, most
// precise source first: the PEP 639 License-Expression; else the Trove
// classifiers that name one SPDX license; else the License field, mapped
// when it is a common spelling and kept as written when it is one short line
// (a pasted license text is no declaration hallmark can use); else the
// family names of ambiguous classifiers ("BSD License").
func licenses(expression, field string, classifiers []string) []string {
	if e := strings.TrimSpace(expression); e != "" {
		return []string{e}
	}
	var out, vague []string
	for _, c := range classifiers {
		rest, ok := strings.CutPrefix(c, "License :: ")
		if !ok {
			continue
		}
		if id, ok := classifierSPDX[rest]; ok {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		} else if i := strings.LastIndex(rest, " :: "); i >= 0 {
			vague = append(vague, rest[i+4:])
		}
	}
	if len(out) > 0 {
		// A dual-licensed package may name one family vaguely ("BSD License"
		// beside "Apache Software License"): keep it rather than drop it.
		return append(out, vague...)
	}
	f := strings.TrimSpace(field)
	switch {
	case f == "" || strings.EqualFold(f, "UNKNOWN") || strings.EqualFold(f, "none"):
	case strings.ContainsAny(f, "\n\r") || len(f) > 100:
		// License text, not a name.
	default:
		if id, ok := license.ID(f); ok {
			return []string{id}
		}
		if id, ok := licenseSPDX[strings.ToLower(f)]; ok {
			return []string{id}
		}
		return []string{f}
	}
	return vague
}
