// Package distro maps an operating system release, as /etc/os-release
// names it, to the OSV ecosystem its advisories are published under, the
// purl "distro" qualifier, and its end of life. The table of releases and
// dates is this one file.
package distro

import (
	"fmt"
	"strings"
	"time"
)

// Release is an operating system release.
type Release struct {
	// ID and VersionID are os-release's ID and VERSION_ID.
	ID, VersionID string
}

// Ecosystem returns the OSV ecosystem of the release's packages
// (https://ossf.github.io/osv-schema/#affectedpackage-field): "Debian:12",
// "Ubuntu:24.04:LTS", "Alpine:v3.20", "AlmaLinux:9", "Rocky Linux:9",
// "Wolfi", "Chainguard"; "" for a distribution OSV does not cover.
func (r Release) Ecosystem() string {
	major, minor, _ := strings.Cut(r.VersionID, ".")
	minor, _, _ = strings.Cut(minor, ".")
	minor = leadingDigits(minor) // Alpine edge: "3.21_alpha20240807"
	switch r.ID {
	case "debian":
		if major == "" {
			return "Debian"
		}
		return "Debian:" + major
	case "ubuntu":
		if r.VersionID == "" {
			return "Ubuntu"
		}
		if isUbuntuLTS(major, minor) {
			return "Ubuntu:" + major + "." + minor + ":LTS"
		}
		return "Ubuntu:" + major + "." + minor
	case "alpine":
		if major == "" || minor == "" {
			return "Alpine"
		}
		return "Alpine:v" + major + "." + minor
	case "almalinux":
		return withMajor("AlmaLinux", major)
	case "rocky":
		return withMajor("Rocky Linux", major)
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	case "cleanstart", "clnstrt": // CleanStart's images say clnstrt
		return "CleanStart"
	case "opensuse-leap":
		// osv.dev: "openSUSE:Leap 15.5".
		if r.VersionID == "" {
			return "openSUSE"
		}
		return "openSUSE:Leap " + r.VersionID
	case "opensuse-leap-micro":
		if r.VersionID == "" {
			return "openSUSE"
		}
		return "openSUSE:Leap Micro " + r.VersionID
	case "opensuse-tumbleweed":
		return "openSUSE:Tumbleweed"
	case "mageia":
		return withMajor("Mageia", major)
	case "sles", "sled", "sles_sap", "sle_hpc", "sle-micro":
		// The product and its service pack: "SUSE:Linux Enterprise Server
		// 15 SP5". SUSE files a package's advisories under the product or
		// module that ships it ("SUSE:Linux Enterprise Module for
		// Basesystem 15 SP5"): Applies matches every one of the release.
		rel := suseRelease(r.ID, r.VersionID)
		if rel == "" {
			return "SUSE"
		}
		return suseProducts[r.ID] + " " + rel
	case "rhel":
		// Red Hat's ecosystems name the product, its major release and the
		// repository ("Red Hat:enterprise_linux:9::baseos"): Applies
		// matches every repository of the major release.
		if major == "" {
			return "Red Hat"
		}
		return redHatEL + major
	}
	return ""
}

// Red Hat Enterprise Linux and SUSE Linux Enterprise ecosystem prefixes.
const (
	redHatEL            = "Red Hat:enterprise_linux:"
	suseLinuxEnterprise = "SUSE:Linux Enterprise "
)

// suseProducts are the SUSE Linux Enterprise products by os-release ID.
var suseProducts = map[string]string{
	"sles":      suseLinuxEnterprise + "Server",
	"sled":      suseLinuxEnterprise + "Desktop",
	"sles_sap":  suseLinuxEnterprise + "Server for SAP Applications",
	"sle_hpc":   suseLinuxEnterprise + "High Performance Computing",
	"sle-micro": suseLinuxEnterprise + "Micro",
}

// suseRelease spells a SUSE VERSION_ID as SUSE's ecosystems do: "15.5" is
// "15 SP5", "15" is "15"; SLE Micro's "5.5" stays "5.5".
func suseRelease(id, versionID string) string {
	major, sp, ok := strings.Cut(versionID, ".")
	switch {
	case major == "" || leadingDigits(major) != major || ok && (sp == "" || leadingDigits(sp) != sp):
		return ""
	case id == "sle-micro":
		return versionID
	case !ok || sp == "0":
		return major
	}
	return major + " SP" + sp
}

// Applies reports whether an advisory's affected ecosystem (OSV's
// affected[].package.ecosystem) covers packages whose ecosystem is eco, as
// Ecosystem returns it: the same ecosystem; any release of a family when
// eco names none ("Debian" takes "Debian:12"); for Red Hat Enterprise
// Linux, every repository of the major release ("Red Hat:enterprise_linux:9"
// takes "...:9::baseos" and "...:9::appstream", not EUS streams or add-on
// products, whose builds differ); for SUSE Linux Enterprise, every product
// and module of the same release and service pack, with its suffixes
// ("...Server 15 SP5" takes "...Module for Basesystem 15 SP5" and
// "...Server 15 SP5-LTSS", not "... 15 SP4").
func Applies(advisory, eco string) bool {
	if advisory == eco {
		return true
	}
	if !strings.Contains(eco, ":") {
		base, _, _ := strings.Cut(advisory, ":")
		return base == eco
	}
	if strings.HasPrefix(eco, redHatEL) {
		return strings.HasPrefix(advisory, eco+":")
	}
	if strings.HasPrefix(eco, suseLinuxEnterprise) {
		// The release is eco's last word, or its last two for a service
		// pack ("15 SP5"), as Ecosystem spells it.
		i := strings.LastIndexByte(eco, ' ')
		if j := strings.LastIndexByte(eco[:max(i, 0)], ' '); strings.HasPrefix(eco[i+1:], "SP") && j >= len(suseLinuxEnterprise) {
			i = j
		}
		rest, ok := strings.CutPrefix(advisory, suseLinuxEnterprise)
		rel := eco[i:] // with its leading space
		return ok && (strings.HasSuffix(rest, rel) || strings.Contains(rest, rel+"-"))
	}
	return false
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func withMajor(eco, major string) string {
	if major == "" {
		return eco
	}
	return eco + ":" + major
}

// isUbuntuLTS: Ubuntu's LTS releases are the April releases of even years.
func isUbuntuLTS(major, minor string) bool {
	var y int
	if _, err := fmt.Sscanf(major, "%d", &y); err != nil {
		return false
	}
	return minor == "04" && y%2 == 0
}

// PURLDistro is the purl "distro" qualifier: "debian-12", "ubuntu-24.04",
// "alpine-3.20.3", "almalinux-9.4".
func (r Release) PURLDistro() string {
	if r.ID == "" {
		return ""
	}
	if r.VersionID == "" {
		return r.ID
	}
	return r.ID + "-" + r.VersionID
}

// eol is the end of standard support of each release, by os-release ID
// and the VERSION_ID prefix (major, or major.minor for Ubuntu and Alpine):
// the dates the projects publish.
var eol = map[string]map[string]string{
	"debian": {"8": "2018-06-17", "9": "2020-07-06", "10": "2022-09-10", "11": "2024-08-14", "12": "2026-06-10", "13": "2028-08-09"},
	"ubuntu": {"14.04": "2019-04-25", "16.04": "2021-04-30", "18.04": "2023-05-31", "20.04": "2025-05-29", "22.04": "2027-06-01", "24.04": "2029-05-31",
		"23.10": "2024-07-11", "24.10": "2025-07-10", "25.04": "2026-01-15", "25.10": "2026-07-09"},
	"alpine": {"3.15": "2023-11-01", "3.16": "2024-05-23", "3.17": "2024-11-22", "3.18": "2025-05-09", "3.19": "2025-11-01", "3.20": "2026-04-01",
		"3.21": "2026-11-01", "3.22": "2027-05-01", "3.23": "2027-11-01"},
	"almalinux": {"8": "2029-03-01", "9": "2032-05-31"},
	"rocky":     {"8": "2029-05-31", "9": "2032-05-31"},
	"centos":    {"7": "2024-06-30", "8": "2021-12-31"},
	// RHEL: end of maintenance support.
	"rhel":          {"7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31"},
	"fedora":        {"35": "2022-12-13", "36": "2023-05-16", "37": "2023-12-05", "38": "2024-05-21", "39": "2024-11-26", "40": "2025-05-13", "41": "2025-12-15", "42": "2026-05-28"},
	"opensuse-leap": {"15.3": "2022-12-31", "15.4": "2023-12-07", "15.5": "2024-12-31"},
	"amzn":          {"2": "2026-06-30", "2023": "2029-06-30"},
}

// EndOfLife returns when the release's standard support ended or ends,
// and whether the table knows it.
func (r Release) EndOfLife() (time.Time, bool) {
	t, ok := eol[r.ID]
	if !ok {
		return time.Time{}, false
	}
	major, rest, _ := strings.Cut(r.VersionID, ".")
	minor, _, _ := strings.Cut(rest, ".")
	for _, k := range []string{major + "." + minor, major} {
		if d, ok := t[k]; ok {
			tt, err := time.Parse(time.DateOnly, d)
			return tt, err == nil
		}
	}
	return time.Time{}, false
}

// EndOfLifeNotes returns, for the releases a document's OS packages name
// in their purl distro qualifier ("debian-10"), one sentence per release
// whose standard support ended before now.
func EndOfLifeNotes(distros []string, now time.Time) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range distros {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		r := ParsePURLDistro(d)
		id, v := r.ID, r.VersionID
		if end, ok := r.EndOfLife(); ok && end.Before(now) {
			out = append(out, fmt.Sprintf("%s %s reached the end of its standard support on %s: it receives no security fixes; move to a supported release", id, v, end.Format(time.DateOnly)))
		}
	}
	return out
}

// ParsePURLDistro splits a purl distro qualifier at its last "-" followed
// by a digit: "debian-12", "opensuse-leap-15.5", "alpine-3.20.3", "wolfi".
func ParsePURLDistro(d string) Release {
	for i := len(d) - 2; i > 0; i-- {
		if d[i] == '-' && d[i+1] >= '0' && d[i+1] <= '9' {
			return Release{ID: d[:i], VersionID: d[i+1:]}
		}
	}
	return Release{ID: d}
}
