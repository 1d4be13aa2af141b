package tuf

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchRepo makes a repository holding 10,000 small targets: all in the
// top-level targets role (roles == 0), or spread over roles delegated
// roles of 10,000/roles targets each.
func benchRepo(b *testing.B, roles int) (dir string, k, team Keys, one string) {
	now := time.Now().UTC()
	k = Keys{Offline: key(b), Online: key(b)}
	team = Keys{Offline: key(b), Online: k.Online}
	dir = b.TempDir()
	if err := Init(dir, k, DefaultExpiries, now); err != nil {
		b.Fatal(err)
	}
	files := b.TempDir()
	var all []Target
	for i := range 10_000 {
		p := filepath.Join(files, fmt.Sprintf("f%d", i))
		os.WriteFile(p, []byte(fmt.Sprintf("file %d", i)), 0o644)
		all = append(all, Target{Path: p})
	}
	one = filepath.Join(files, "one")
	os.WriteFile(one, []byte("one more"), 0o644)
	if roles == 0 {
		for i := range all {
			all[i].Name = fmt.Sprintf("bulk/1/f%d", i)
		}
		if err := Add(dir, k, DefaultExpiries, now, all); err != nil {
			b.Fatal(err)
		}
		return dir, k, team, one
	}
	per := len(all) / roles
	for r := range roles {
		role := fmt.Sprintf("p%d", r)
		if err := Delegate(dir, k, DefaultExpiries, now, Delegation{Role: role, Paths: []string{role + "/*/*"}, Keys: []crypto.PublicKey{team.Offline.Public()}, Threshold: 1}); err != nil {
			b.Fatal(err)
		}
		batch := all[r*per : (r+1)*per]
		for i := range batch {
			batch[i].Name = fmt.Sprintf("%s/1/f%d", role, i)
		}
		if err := AddToRole(dir, role, team, DefaultExpiries, now, batch); err != nil {
			b.Fatal(err)
		}
	}
	return dir, k, team, one
}

// BenchmarkAddInto10k: publishing one target into a repository of 10,000
// (signing with in-memory keys: the CLI adds decrypting them).
func BenchmarkAddInto10k(b *testing.B) {
	b.Run("top-level targets", func(b *testing.B) {
		dir, k, _, one := benchRepo(b, 0)
		i := 0
		for b.Loop() {
			i++
			if err := Add(dir, k, DefaultExpiries, time.Now().UTC(), []Target{{Name: fmt.Sprintf("new/%d/one", i), Path: one}}); err != nil {
				b.Fatal(err)
			}
		}
		reportSizes(b, dir, "targets")
	})
	b.Run("100 delegated roles", func(b *testing.B) {
		dir, _, team, one := benchRepo(b, 100)
		i := 0
		for b.Loop() {
			i++
			if err := AddToRole(dir, "p7", team, DefaultExpiries, time.Now().UTC(), []Target{{Name: fmt.Sprintf("p7/n%d/one", i), Path: one}}); err != nil {
				b.Fatal(err)
			}
		}
		reportSizes(b, dir, "p7")
	})
}

func reportSizes(b *testing.B, dir, role string) {
	snap, _ := os.Stat(filepath.Join(dir, "metadata", "snapshot.json"))
	t, err := loadRole(dir, role)
	if err != nil || t == nil {
		return
	}
	rb, _ := t.ToBytes(true)
	b.ReportMetric(float64(snap.Size()), "snapshot-bytes")
	b.ReportMetric(float64(len(rb)), "role-bytes")
}
