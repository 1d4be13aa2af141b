package elixir

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func TestClaims(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"mix.lock": true, "apps/web/mix.lock": true, "mix.exs": false, "rebar.lock": false,
		"deps/plug/mix.lock": false, "apps/web/deps/plug/mix.lock": false,
	} {
		if got := c.Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

type triple struct{ Name, Version, PURL string }

// The truth was read once from the files with a Python script (one entry a
// line; deps matched by regular expression): livebook 67 entries (66 hex, 1
// git), 111 edges between locked entries, 17 entries nobody depends on, and
// bandit, lazy_html, phoenix_live_reload needed only optionally; phoenix 40
// entries, 52 edges, 12 roots, and bandit, phoenix_html, plug_cowboy needed
// only optionally. Those optional-only entries are Direct (Mix locks an
// optional dependency only when the project declares it) and, as the lock
// cannot say more, ScopeOptional, like what only they need (cowboy, ranch
// under phoenix's optional plug_cowboy); for livebook's bandit, its web
// server, that is wrong: only mix.exs says so, and hallmark does not read it.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file                 string
		count, edges, direct int
		optional             []string
		samples              []triple
	}{
		{
			file: "corpus/hex/livebook-dev__livebook/mix.lock", count: 67, edges: 111, direct: 20,
			optional: []string{"bandit", "file_system", "lazy_html", "phoenix_live_reload", "thousand_island"},
			samples: []triple{
				{"elixirkit", "6c1b3f25e7efe12305dfe62c56ed07ad55bb9cd3", "pkg:hex/elixirkit@6c1b3f25e7efe12305dfe62c56ed07ad55bb9cd3?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Flivebook-dev%2Felixirkit.git%406c1b3f25e7efe12305dfe62c56ed07ad55bb9cd3"},
			},
		},
		{
			file: "corpus/hex/phoenixframework__phoenix/mix.lock", count: 40, edges: 52, direct: 15,
			optional: []string{"bandit", "cowboy", "cowboy_telemetry", "cowlib", "phoenix_html", "plug_cowboy", "ranch", "thousand_island"},
			samples: []triple{
				{"bandit", "1.12.4", "pkg:hex/bandit@1.12.4"},
				{"cowboy", "2.18.0", "pkg:hex/cowboy@2.18.0"},
				{"decimal", "3.1.1", "pkg:hex/decimal@3.1.1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := catalogtest.Run(t, New(), sharedtest.Path(t, tt.file))
			catalogtest.CheckInvariants(t, res)
			if got := catalogtest.Unique(res); got != tt.count {
				t.Errorf("packages = %d, want %d", got, tt.count)
			}
			if got := len(res.Relationships); got != tt.edges {
				t.Errorf("edges = %d, want %d", got, tt.edges)
			}
			direct, hashed := 0, 0
			var optional []string
			for _, p := range res.Packages {
				if p.Direct {
					direct++
				}
				if p.Scope == sbom.ScopeOptional {
					optional = append(optional, p.Name)
				}
				if p.SourceKind == "" {
					if len(p.Hashes) != 1 || p.Hashes[0].Algorithm != sbom.SHA256 || len(p.Properties[PropInnerChecksum]) != 64 {
						t.Errorf("%s: hashes %v, properties %v", p.Name, p.Hashes, p.Properties)
					}
					hashed++
				}
			}
			if direct != tt.direct {
				t.Errorf("direct = %d, want %d", direct, tt.direct)
			}
			if diff := cmp.Diff(tt.optional, optional); diff != "" {
				t.Errorf("optional diff (-want +got):\n%s", diff)
			}
			for _, s := range tt.samples {
				found := catalogtest.Find(res, s.Name)
				if len(found) != 1 {
					t.Fatalf("%s: found %d", s.Name, len(found))
				}
				if diff := cmp.Diff(s, triple{found[0].Name, found[0].Version, found[0].PURL}); diff != "" {
					t.Errorf("diff (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCorpusEdges(t *testing.T) {
	res := catalogtest.Run(t, New(), sharedtest.Path(t, "corpus/hex/phoenixframework__phoenix/mix.lock"))
	var got []string
	for _, r := range res.Relationships {
		if r.From == "pkg:hex/bandit@1.12.4" {
			got = append(got, r.To)
		}
	}
	want := []string{"pkg:hex/hpax@1.0.4", "pkg:hex/plug@1.20.3", "pkg:hex/telemetry@1.4.2", "pkg:hex/thousand_island@1.5.0", "pkg:hex/websock@0.5.3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bandit's edges diff (-want +got):\n%s", diff)
	}
}

func TestFixture(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/mix.lock")
	catalogtest.CheckInvariants(t, res)
	type pkg struct {
		Name, Version, PURL string
		Direct              bool
		Scope               sbom.Scope
		Hash, Kind          string
		Line                int
		Props               map[string]string
	}
	var got []pkg
	for _, p := range res.Packages {
		h := ""
		if len(p.Hashes) > 0 {
			h = p.Hashes[0].Value
		}
		got = append(got, pkg{p.Name, p.Version, p.PURL, p.Direct, p.Scope, h, p.SourceKind, p.Locations[0].Line, p.Properties})
	}
	want := []pkg{
		{"acme_auth", "2.1.0", "pkg:hex/acme/acme_auth@2.1.0", true, "", "9a8b7c6d5e4f30211f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988", "", 2,
			map[string]string{PropInnerChecksum: "5f1c0e3c1b9a5d2f8a7e6c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a2918f7e", PropBuildTools: "mix", PropRepo: "hexpm:acme"}},
		// Hex 0.x wrote seven- and six-element tuples: no outer checksum.
		{"cowlib", "2.11.0", "pkg:hex/cowlib@2.11.0", true, "", "", "", 3,
			map[string]string{PropInnerChecksum: "0b9ff9c346629256c42ebe1eeb769a83c6cb771a6ee5960bd110ab0b9b872063", PropBuildTools: "make,rebar3"}},
		// Only tesla needs jason, optionally: the project declares it.
		{"jason", "1.4.1", "pkg:hex/jason@1.4.1", true, sbom.ScopeOptional, "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1", "", 4,
			map[string]string{PropInnerChecksum: "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", PropBuildTools: "mix"}},
		{"mime", "1.6.0", "pkg:hex/mime@1.6.0", false, "", "31a1a8613f8321143dde1dafc36006a17d28d02bdfecb9e95a880fa7aabd19a7", "", 5,
			map[string]string{PropInnerChecksum: "dabde576a497cef4bbdd60aceee8160e02a6c89250d6c0b29e56c0dfb00db3d2", PropBuildTools: "mix"}},
		{"plug", "8a3b2c1d4e5f60718293a4b5c6d7e8f90a1b2c3d", "pkg:hex/plug@8a3b2c1d4e5f60718293a4b5c6d7e8f90a1b2c3d?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Facme%2Fplug.git%408a3b2c1d4e5f60718293a4b5c6d7e8f90a1b2c3d",
			false, "", "", "git", 7, map[string]string{PropGitRef: "branch:acme-fixes"}},
		{"plug_crypto", "1.2.5", "pkg:hex/plug_crypto@1.2.5", true, "", "26549a1d6345e2172eb1c233866756ae44a9609bd33ee6f99147ab3fd87fd842", "", 8,
			map[string]string{PropInnerChecksum: "918772575e48e81e455818229bf719d4ab4181fcbf7f85b68a35620f78d89ced", PropBuildTools: "mix"}},
		{"poison", "3.1.0", "pkg:hex/poison@3.1.0", true, "", "", "", 9,
			map[string]string{PropInnerChecksum: "d9eb636610e096f86f25d9a46f35a9facac35609a7591b3be3326e99a0484665", PropBuildTools: "mix"}},
		{"telemetry", "1.2.1", "pkg:hex/telemetry@1.2.1", true, sbom.ScopeOptional, "dad9ce9d8effc621708f99eac538ef1cbe05d6a874dd741de2e689c47feafed5", "", 10,
			map[string]string{PropInnerChecksum: "68fdfe8d8f05a8428483a97d7aab2f268aaff24b49e0f599faa091f1d4e7f61c", PropBuildTools: "rebar3"}},
		{"tesla", "1.7.0", "pkg:hex/tesla@1.7.0", true, "", "2e64f01ebfdb026209b47bc651a0e65203fcff4ae79c11efb73c4852b00dc313", "", 11,
			map[string]string{PropInnerChecksum: "a62dda2f80d4f8a925eb7b8c5b78c461e0eb996672719fe1a63b26321a5f8b4e", PropBuildTools: "mix"}},
		// The dependency is named uuid; the hex package is uuid_utils.
		{"uuid_utils", "1.6.0", "pkg:hex/uuid_utils@1.6.0", true, "", "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988", "", 12,
			map[string]string{PropInnerChecksum: "0a6a9b8b46fbf7bcd1b6f31c3e4d4c1b3f6c5a7e2a0b1c2d3e4f5a6b7c8d9e0f", PropBuildTools: "mix", PropApp: "uuid"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	// acme_auth -> plug (the git fork); tesla -> jason, mime, telemetry
	// (mint is optional and not locked: no edge).
	wantRels := []sbom.Relationship{
		{From: "pkg:hex/acme/acme_auth@2.1.0", To: got[4].PURL},
		{From: "pkg:hex/tesla@1.7.0", To: "pkg:hex/jason@1.4.1"},
		{From: "pkg:hex/tesla@1.7.0", To: "pkg:hex/mime@1.6.0"},
		{From: "pkg:hex/tesla@1.7.0", To: "pkg:hex/telemetry@1.2.1"},
	}
	if diff := cmp.Diff(wantRels, res.Relationships); diff != "" {
		t.Errorf("relationships diff (-want +got):\n%s", diff)
	}
}

func TestTermSyntax(t *testing.T) {
	// The older "key" => value map syntax, comments, quoted atoms, escapes,
	// trailing commas, integers and booleans.
	src := `%{"a" => {:hex, :"a", "1.0.0", "x\"y\\z", [:mix], [{:b, "~> 1.0", [hex: :b, optional: true, n: -12]},], "hexpm", "` + strings.Repeat("ab", 32) + `"}, # c
	"b": {:hex, :b, "1.0.0"}}`
	res, err := Parse([]byte(src), "mix.lock")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 2 || len(res.Relationships) != 1 || res.Packages[1].Scope != sbom.ScopeOptional {
		t.Errorf("got %+v", res)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantErr  error
		wantPkgs int
	}{
		{name: "empty", src: ""},
		{name: "not a map", src: `[1, 2]`},
		{name: "truncated", src: `%{"a": {:hex, :a, "1.0.0", "abc`},
		{name: "unterminated map", src: `%{"a": {:hex, :a, "1.0.0"}`},
		{name: "trailing garbage", src: `%{} %{}`},
		{name: "interpolation", src: `%{"a": {:hex, :a, "#{x}"}}`},
		{name: "function call", src: `%{"a": File.read!("x")}`},
		{name: "bad atom", src: `%{"a": {:, :a}}`},
		{name: "missing arrow", src: `%{"a" {:hex, :a, "1"}}`},
		{name: "deep", src: `%{"a": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, wantErr: ErrTooDeep},
		{name: "unknown scm", src: `%{"a": {:hg, "x"}, "b": {:hex, :b, "1.0.0"}}`, wantPkgs: 1},
		{name: "wrong types", src: `%{"a": {:hex, 1, 2}, "b": [1], "c": {:git, :x, "y"}, "d": {:hex, :d, "1.0.0", 1, 2, 3, 4, 5}}`, wantPkgs: 1},
		{name: "bad dep", src: `%{"a": {:hex, :a, "1.0.0", "", [], [1]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.src), "mix.lock")
			if err == nil {
				t.Fatalf("no error; got %+v", res)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			n := 0
			if res != nil {
				n = len(res.Packages)
			}
			if n != tt.wantPkgs {
				t.Errorf("%d packages, want %d", n, tt.wantPkgs)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/mix.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(`%{"a" => {:hex, :a, "1"}, "b": [x: 1, y: :"z"]}`)
	f.Fuzz(func(t *testing.T, src string) {
		res, err := Parse([]byte(src), "mix.lock")
		if res == nil {
			if err == nil {
				t.Fatal("nil result without error")
			}
			return
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.PURL == "" || p.Version == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	// The larger corpus file: livebook's (23,162 bytes).
	data, err := os.ReadFile(sharedtest.Path(b, "corpus/hex/livebook-dev__livebook/mix.lock"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "mix.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
