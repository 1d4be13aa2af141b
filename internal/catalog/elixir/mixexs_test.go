package elixir

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

type scoped struct {
	Name   string
	Direct bool
	Scope  sbom.Scope
}

// TestMixExs pins Direct and Scope of every package of two fixtures written
// for these tests, modelled on phoenix's and livebook's mix.exs and locks.
// Against the lock-only inference (Parse), phoenix changes scope for 16 of
// 32 packages (docs tools and what they need become dev, test clients test,
// castore required) and Direct for 6; livebook changes scope for 18 of 32
// (bandit and thousand_island become required, bypass, floki and cowboy's
// family test, esbuild, tailwind, lazy_html and their needs dev) and Direct
// for 5. Where two kinds of declaration reach a package the most needed
// wins: runtime, optional, dev, test (phoenix's hpax: optional via bandit,
// test via mint -> optional).
func TestMixExs(t *testing.T) {
	want := map[string][]scoped{
		"phoenix": {
			{"bandit", true, sbom.ScopeOptional},
			{"castore", true, sbom.ScopeRequired},
			{"cowboy", false, sbom.ScopeOptional},
			{"cowboy_telemetry", false, sbom.ScopeOptional},
			{"cowlib", false, sbom.ScopeOptional},
			{"decimal", false, sbom.ScopeDev},
			{"earmark_parser", false, sbom.ScopeDev},
			{"ecto", true, sbom.ScopeDev},
			{"esbuild", true, sbom.ScopeDev},
			{"ex_doc", true, sbom.ScopeDev},
			{"file_system", false, sbom.ScopeTest},
			{"hpax", false, sbom.ScopeOptional},
			{"jason", true, sbom.ScopeOptional},
			{"makeup", false, sbom.ScopeDev},
			{"makeup_elixir", true, sbom.ScopeDev},
			{"makeup_erlang", false, sbom.ScopeDev},
			{"mime", false, sbom.ScopeRequired},
			{"mint", true, sbom.ScopeTest},
			{"mint_web_socket", true, sbom.ScopeTest},
			{"nimble_parsec", false, sbom.ScopeDev},
			{"phoenix_html", true, sbom.ScopeOptional},
			{"phoenix_live_reload", true, sbom.ScopeTest},
			{"phoenix_pubsub", true, sbom.ScopeRequired},
			{"phoenix_template", true, sbom.ScopeRequired},
			{"plug", true, sbom.ScopeRequired},
			{"plug_cowboy", true, sbom.ScopeOptional},
			{"plug_crypto", true, sbom.ScopeRequired},
			{"ranch", false, sbom.ScopeOptional},
			{"telemetry", true, sbom.ScopeRequired},
			{"thousand_island", false, sbom.ScopeOptional},
			{"websock", false, sbom.ScopeRequired},
			{"websock_adapter", true, sbom.ScopeRequired},
		},
		"livebook": {
			{"bandit", true, sbom.ScopeRequired},
			{"bypass", true, sbom.ScopeTest},
			{"castore", true, sbom.ScopeRequired},
			{"cc_precompiler", false, sbom.ScopeDev},
			{"cowboy", false, sbom.ScopeTest},
			{"cowboy_telemetry", false, sbom.ScopeTest},
			{"cowlib", false, sbom.ScopeTest},
			{"elixir_make", false, sbom.ScopeDev},
			{"elixirkit", true, sbom.ScopeRequired},
			{"esbuild", true, sbom.ScopeDev},
			{"file_system", false, sbom.ScopeDev},
			{"fine", false, sbom.ScopeDev},
			{"floki", true, sbom.ScopeTest},
			{"hpax", false, sbom.ScopeRequired},
			{"jason", true, sbom.ScopeRequired},
			{"lazy_html", true, sbom.ScopeDev},
			{"mime", false, sbom.ScopeRequired},
			{"phoenix", true, sbom.ScopeRequired},
			{"phoenix_html", true, sbom.ScopeRequired},
			{"phoenix_live_reload", true, sbom.ScopeDev},
			{"phoenix_live_view", true, sbom.ScopeRequired},
			{"phoenix_pubsub", false, sbom.ScopeRequired},
			{"phoenix_template", false, sbom.ScopeRequired},
			{"plug", false, sbom.ScopeRequired},
			{"plug_cowboy", false, sbom.ScopeTest},
			{"plug_crypto", true, sbom.ScopeRequired},
			{"ranch", false, sbom.ScopeTest},
			{"tailwind", true, sbom.ScopeDev},
			{"telemetry", false, sbom.ScopeRequired},
			{"thousand_island", false, sbom.ScopeRequired},
			{"websock", false, sbom.ScopeRequired},
			{"websock_adapter", false, sbom.ScopeRequired},
		},
	}
	changed := map[string][2]int{"phoenix": {16, 6}, "livebook": {18, 5}}
	for dir, want := range want {
		t.Run(dir, func(t *testing.T) {
			res := catalogtest.Run(t, New(), "testdata/"+dir+"/mix.lock")
			catalogtest.CheckInvariants(t, res)
			lock, err := os.ReadFile("testdata/" + dir + "/mix.lock")
			if err != nil {
				t.Fatal(err)
			}
			old, err := Parse(lock, "mix.lock")
			if err != nil {
				t.Fatal(err)
			}
			var got []scoped
			scopes, directs := 0, 0
			for i, p := range res.Packages {
				got = append(got, scoped{p.Name, p.Direct, p.Scope})
				if p.Scope != old.Packages[i].Scope {
					scopes++
				}
				if p.Direct != old.Packages[i].Direct {
					directs++
				}
				if (p.Properties[PropRuntime] == "false") != (p.Name == "esbuild" && dir == "livebook" || p.Name == "tailwind") {
					t.Errorf("%s: properties %v", p.Name, p.Properties)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if c := changed[dir]; scopes != c[0] || directs != c[1] {
				t.Errorf("changed scope %d, direct %d; want %v", scopes, directs, c)
			}
		})
	}
}

func TestParseMixExs(t *testing.T) {
	tests := []struct {
		name, src string
		want      []declared
		wantErr   bool
	}{
		{name: "no deps", src: "defmodule A do\nend\n", wantErr: true},
		{name: "not a list", src: "defp deps do\n  base_deps() ++ [{:a, \"1\"}]\nend", wantErr: true},
		{name: "unterminated", src: "defp deps do\n  [{:a, \"1\"},\n", wantErr: true},
		{name: "unterminated string", src: "defp deps do\n  [{:a, \"1}]\nend", wantErr: true},
		{name: "one-line do:", src: `defp deps, do: [{:a, "~> 1.0", only: [:dev, :test]}, {:b, git: "https://x/b.git", tag: "v1"}]`,
			want: []declared{{app: "a", only: []string{"dev", "test"}, onlySet: true, line: 1}, {app: "b", line: 1}}},
		{name: "def and parens", src: "def deps() do\n  [\n    # {:commented, \"1\"},\n    {:a, \"1\", optional: true, runtime: false},\n  ]\nend",
			want: []declared{{app: "a", optional: true, noRun: true, line: 4}}},
		{name: "non-literal parts", src: "defp deps do\n  [\n    {:a, @req, only: @envs},\n    dep(:b),\n    {\"c\", \"1\"},\n    {:d, \"1\", runtime: Mix.env() == :dev, only: :test},\n    {:e, \"1\", only: [:test, Mix.env()]}\n  ]\nend",
			want: []declared{{app: "a", line: 3}, {app: "d", only: []string{"test"}, onlySet: true, line: 6}, {app: "e", line: 7}}},
		{name: "brackets in strings and chars", src: "defp deps do\n  [{:a, \"]}\", only: :prod}, {:b, ~c\"x]\", x: ?]}, {:c, '[', only: :dev}]\nend",
			want: []declared{{app: "a", only: []string{"prod"}, onlySet: true, line: 2}, {app: "b", line: 2}, {app: "c", only: []string{"dev"}, onlySet: true, line: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMixExs(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(declared{})); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
		})
	}
}

// An umbrella's root mix.exs, or one without a literal deps list, leaves the
// lock-only inference untouched.
func TestMixExsIgnored(t *testing.T) {
	lock, err := os.ReadFile("testdata/livebook/mix.lock")
	if err != nil {
		t.Fatal(err)
	}
	old, err := Parse(lock, "mix.lock")
	if err != nil {
		t.Fatal(err)
	}
	for _, exs := range []string{
		"defmodule U.MixProject do\n  def project, do: [apps_path: \"apps\", deps: deps()]\n  defp deps, do: [{:bandit, \"~> 1.0\"}]\nend\n",
		"defp deps do\n  if true, do: [], else: []\nend\n",
		strings.Repeat("[", 100000),
	} {
		res, err := ParseProject(lock, []byte(exs), "mix.lock")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(old, res); diff != "" {
			t.Errorf("%.40q: diff (-lock only +with mix.exs):\n%s", exs, diff)
		}
	}
}

func FuzzMixExs(f *testing.F) {
	for _, p := range []string{"testdata/phoenix/mix.exs", "testdata/livebook/mix.exs"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`defp deps, do: [{:a, "1", only: [:dev, :test], runtime: false}, {:b, ?], '}'}]`)
	f.Add("def deps do\n with_lock([\n{\n:a,\n github: \"x/y\" # c\n}])\nend")
	f.Fuzz(func(t *testing.T, src string) {
		decls, _ := parseMixExs(src)
		for _, d := range decls {
			if d.app == "" || d.line < 1 {
				t.Fatalf("bad declaration %+v", d)
			}
		}
	})
}
