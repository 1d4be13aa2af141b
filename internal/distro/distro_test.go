package distro

import (
	"strings"
	"testing"
	"time"
)

func TestEcosystem(t *testing.T) {
	tests := []struct {
		r       Release
		eco, pd string
	}{
		{Release{"debian", "12"}, "Debian:12", "debian-12"},
		{Release{"debian", ""}, "Debian", "debian"},
		{Release{"ubuntu", "24.04"}, "Ubuntu:24.04:LTS", "ubuntu-24.04"},
		{Release{"ubuntu", "22.04"}, "Ubuntu:22.04:LTS", "ubuntu-22.04"},
		{Release{"ubuntu", "25.04"}, "Ubuntu:25.04", "ubuntu-25.04"},
		{Release{"alpine", "3.20.3"}, "Alpine:v3.20", "alpine-3.20.3"},
		{Release{"almalinux", "9.4"}, "AlmaLinux:9", "almalinux-9.4"},
		{Release{"rocky", "9.3"}, "Rocky Linux:9", "rocky-9.3"},
		{Release{"wolfi", "20230201"}, "Wolfi", "wolfi-20230201"},
		{Release{"plan9", "4"}, "", "plan9-4"},
		{Release{"clnstrt", ""}, "CleanStart", "clnstrt"},
		{Release{"alpine", "3.21_alpha20240807"}, "Alpine:v3.21", "alpine-3.21_alpha20240807"},
		{Release{"cleanstart", ""}, "CleanStart", "cleanstart"},
		{Release{"opensuse-leap", "15.5"}, "openSUSE:Leap 15.5", "opensuse-leap-15.5"},
		{Release{"opensuse-tumbleweed", "20240101"}, "openSUSE:Tumbleweed", "opensuse-tumbleweed-20240101"},
		{Release{"mageia", "9"}, "Mageia:9", "mageia-9"},
		{Release{"rhel", "9.4"}, "Red Hat:enterprise_linux:9", "rhel-9.4"},
		{Release{"rhel", ""}, "Red Hat", "rhel"},
		{Release{"sles", "15.5"}, "SUSE:Linux Enterprise Server 15 SP5", "sles-15.5"},
		{Release{"sles", "15"}, "SUSE:Linux Enterprise Server 15", "sles-15"},
		{Release{"sles", "12.5"}, "SUSE:Linux Enterprise Server 12 SP5", "sles-12.5"},
		{Release{"sles_sap", "15.6"}, "SUSE:Linux Enterprise Server for SAP Applications 15 SP6", "sles_sap-15.6"},
		{Release{"sle-micro", "5.5"}, "SUSE:Linux Enterprise Micro 5.5", "sle-micro-5.5"},
		{Release{"sles", "15.x"}, "SUSE", "sles-15.x"},
	}
	for _, tt := range tests {
		if got := tt.r.Ecosystem(); got != tt.eco {
			t.Errorf("%v.Ecosystem() = %q, want %q", tt.r, got, tt.eco)
		}
		if got := tt.r.PURLDistro(); got != tt.pd {
			t.Errorf("%v.PURLDistro() = %q, want %q", tt.r, got, tt.pd)
		}
	}
}

func TestEndOfLife(t *testing.T) {
	d, ok := Release{"debian", "10"}.EndOfLife()
	if !ok || !d.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("debian 10: %v %v", d, ok)
	}
	if _, ok := (Release{"ubuntu", "24.04"}).EndOfLife(); !ok {
		t.Error("ubuntu 24.04 unknown")
	}
	if _, ok := (Release{"alpine", "3.20.3"}).EndOfLife(); !ok {
		t.Error("alpine 3.20.3 unknown")
	}
	for _, r := range []Release{{"rhel", "8.10"}, {"fedora", "40"}, {"opensuse-leap", "15.5"}, {"amzn", "2"}, {"amzn", "2023"}, {"almalinux", "9.4"}} {
		if _, ok := r.EndOfLife(); !ok {
			t.Errorf("%v unknown", r)
		}
	}
	if _, ok := (Release{"plan9", "4"}).EndOfLife(); ok {
		t.Error("plan9 known")
	}
}

func TestEndOfLifeNotes(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	got := EndOfLifeNotes([]string{"debian-10", "debian-10", "debian-12", "ubuntu-24.04", "", "opensuse-leap-15.5", "rhel-9.4", "fedora-42", "wolfi"}, now)
	if len(got) != 4 || !strings.HasPrefix(got[0], "debian 10 reached the end of its standard support on 2022-09-10") || !strings.HasPrefix(got[1], "debian 12") ||
		!strings.HasPrefix(got[2], "opensuse-leap 15.5 reached the end of its standard support on 2024-12-31") || !strings.HasPrefix(got[3], "fedora 42") {
		t.Errorf("notes = %q", got)
	}
}

// TestApplies: which advisory ecosystems cover a package's, with the
// ecosystem names osv.dev publishes for Red Hat and SUSE.
func TestApplies(t *testing.T) {
	rhel9 := Release{"rhel", "9.4"}.Ecosystem()
	sles := Release{"sles", "15.5"}.Ecosystem()
	sles15 := Release{"sles", "15"}.Ecosystem()
	tests := []struct {
		advisory, eco string
		want          bool
	}{
		{"Debian:12", "Debian:12", true},
		{"Debian:12", "Debian", true},
		{"Debian:11", "Debian:12", false},
		{"Ubuntu:Pro:24.04:LTS", "Ubuntu:24.04:LTS", false},
		{"npm", "npm", true},
		{"Red Hat:enterprise_linux:9::baseos", rhel9, true},
		{"Red Hat:enterprise_linux:9::appstream", rhel9, true},
		{"Red Hat:enterprise_linux:9::crb", rhel9, true},
		{"Red Hat:enterprise_linux:8::baseos", rhel9, false},
		{"Red Hat:enterprise_linux:90::baseos", rhel9, false},
		{"Red Hat:rhel_eus:9.2::baseos", rhel9, false},
		{"Red Hat:openstack:18.0::el9", rhel9, false},
		{"Red Hat:enterprise_linux:9::baseos", "Red Hat", true},
		{"SUSE:Linux Enterprise Module for Basesystem 15 SP5", sles, true},
		{"SUSE:Linux Enterprise Server 15 SP5", sles, true},
		{"SUSE:Linux Enterprise Server 15 SP5-LTSS", sles, true},
		{"SUSE:Linux Enterprise High Performance Computing 15 SP5-ESPOS", sles, true},
		{"SUSE:Linux Enterprise Server for SAP Applications 15 SP5", sles, true},
		{"SUSE:Linux Enterprise Module for Basesystem 15 SP4", sles, false},
		{"SUSE:Linux Enterprise Server 15 SP50", sles, false},
		{"SUSE:Linux Enterprise Micro 5.5", sles, false},
		{"openSUSE:Leap 15.5", sles, false},
		{"SUSE:Linux Enterprise Module for Basesystem 15", sles15, true},
		{"SUSE:Linux Enterprise Server 15-LTSS", sles15, true},
		{"SUSE:Linux Enterprise Server 15 SP1", sles15, false},
		{"SUSE:Linux Enterprise Micro 5.5", Release{"sle-micro", "5.5"}.Ecosystem(), true},
		{"SUSE:Linux Enterprise Micro 5.4", Release{"sle-micro", "5.5"}.Ecosystem(), false},
	}
	for _, tt := range tests {
		if got := Applies(tt.advisory, tt.eco); got != tt.want {
			t.Errorf("Applies(%q, %q) = %v, want %v", tt.advisory, tt.eco, got, tt.want)
		}
	}
}
