package ruby

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
)

func scopes(res *catalog.Result) map[string]string {
	out := map[string]string{}
	for _, p := range res.Packages {
		out[p.Name] = string(p.Scope)
	}
	return out
}

// TestRailsAppScopes: testdata/rails-app is a small Rails 7.1 application's
// Gemfile (the rails new template plus rspec-rails, rubocop-rails in a
// platforms block inside a group, webmock, and the group:, groups: and
// :group => options) and the Gemfile.lock Bundler 2.5 writes for it,
// trimmed to 69 specs of 68 gems (rails depends here on actionpack,
// activerecord, activesupport and railties only). 37 of the 69 change
// scope: 21 ScopeDev, 16 ScopeTest (nokogiri's two platform variants).
func TestRailsAppScopes(t *testing.T) {
	res := catalogtest.Run(t, GemfileLock{}, "testdata/rails-app/Gemfile.lock")
	catalogtest.CheckInvariants(t, res)
	const (
		run  = ""
		dev  = "dev"
		test = "test"
	)
	want := map[string]string{
		// Default group (tzinfo-data is declared for Windows only and has
		// no spec) and what it reaches: irb and reline are runtime through
		// railties although debug (:development, :test) also needs them.
		"rails": run, "pg": run, "puma": run, "bootsnap": run,
		"actionpack": run, "actionview": run, "activemodel": run, "activerecord": run, "activesupport": run,
		"railties": run, "rack": run, "rack-test": run, "builder": run, "erubi": run, "concurrent-ruby": run,
		"i18n": run, "minitest": run, "tzinfo": run, "timeout": run, "irb": run, "rdoc": run, "psych": run,
		"stringio": run, "reline": run, "io-console": run, "rackup": run, "webrick": run, "rake": run,
		"thor": run, "zeitwerk": run, "nio4r": run, "msgpack": run,
		// group :development, :test (debug, rspec-rails), :group =>
		// [:development, :test] (brakeman), group :development
		// (web-console, rubocop-rails inside platforms :mri), groups:
		// [:development] (rack-mini-profiler). racc is also reached by
		// nokogiri (:test) and regexp_parser by capybara (:test): dev wins,
		// because they are installed for development too.
		"debug": dev, "rspec-rails": dev, "rspec-core": dev, "rspec-expectations": dev, "rspec-mocks": dev,
		"rspec-support": dev, "diff-lcs": dev, "brakeman": dev, "racc": dev, "web-console": dev, "bindex": dev,
		"rubocop-rails": dev, "rubocop": dev, "rubocop-ast": dev, "parser": dev, "ast": dev, "json": dev,
		"parallel": dev, "rainbow": dev, "regexp_parser": dev, "rack-mini-profiler": dev,
		// group :test (capybara, webmock) and group: :test (simplecov).
		"capybara": test, "addressable": test, "public_suffix": test, "matrix": test, "mini_mime": test,
		"nokogiri": test, "xpath": test, "webmock": test, "crack": test, "rexml": test, "hashdiff": test,
		"simplecov": test, "docile": test, "simplecov-html": test, "simplecov_json_formatter": test,
	}
	if diff := cmp.Diff(want, scopes(res)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	n := map[string]int{}
	for _, p := range res.Packages {
		n[string(p.Scope)]++
	}
	// 69 entries: nokogiri is locked for two platforms.
	if diff := cmp.Diff(map[string]int{"": 32, "dev": 21, "test": 16}, n); diff != "" {
		t.Errorf("packages per scope (-want +got):\n%s", diff)
	}

	// Without the Gemfile: no scope (today's behaviour).
	lock, err := os.ReadFile("testdata/rails-app/Gemfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	res, err = (GemfileLock{}).Catalog(context.Background(), fstest.MapFS{"Gemfile.lock": {Data: lock}}, "Gemfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range scopes(res) {
		if s != "" {
			t.Errorf("%s: scope %q without a Gemfile", name, s)
		}
	}
}

func TestParseGemfile(t *testing.T) {
	tests := []struct {
		name, gemfile string
		want          map[string][]string // nil: not trusted
	}{
		{"plain", `gem "a"` + "\n" + `gem 'b', '~> 1.0'`, map[string][]string{"a": {"default"}, "b": {"default"}}},
		{"group block", "group :development, :test do\n  gem \"a\"\nend\ngem \"b\"\n", map[string][]string{"a": {"development", "test"}, "b": {"default"}}},
		{"parenthesised, strings", "group(\"test\") do\n gem(\"a\")\nend\n", map[string][]string{"a": {"test"}}},
		{"nested groups add up", "group :ci do\n group :test do\n  gem 'a'\n end\nend\n", map[string][]string{"a": {"ci", "test"}}},
		{"options", "gem 'a', group: :test\ngem 'b', groups: [:development, :test]\ngem 'c', :group => 'doc'\ngem 'd', :groups => %i[ci lint]\ngem 'e', require: false, group: %w[test]\n",
			map[string][]string{"a": {"test"}, "b": {"development", "test"}, "c": {"doc"}, "d": {"ci", "lint"}, "e": {"test"}}},
		{"option on the next line", "gem 'a',\n  require: false,\n  group: :test\n", map[string][]string{"a": {"test"}}},
		{"option plus block", "group :development do\n gem 'a', group: :test\nend\n", map[string][]string{"a": {"development", "test"}}},
		{"declared twice", "gem 'a', platforms: :jruby\ngroup :test do\n gem 'a'\nend\n", map[string][]string{"a": {"default", "test"}}},
		{"other blocks", "source 'https://gems.example.com' do\n gem 'a'\nend\nplatforms :mri do\n group :test do\n  gem 'b'\n end\nend\ngit 'https://x' do\n gem 'c'\nend\n",
			map[string][]string{"a": {"default"}, "b": {"test"}, "c": {"default"}}},
		{"conditionals", "if ENV['X']\n gem 'a'\nelse\n gem 'b'\nend\ngem 'c' if RUBY_VERSION > '3'\ncase x\nwhen 1 then gem 'd'\nend\n",
			// "when 1 then gem 'd'" is not read: d is left to the caller's default.
			map[string][]string{"a": {"default"}, "b": {"default"}, "c": {"default"}}},
		{"comments and strings", "# group :test do\ngem 'a' # group: :test\ngem 'b', git: 'https://x/#group: :test'\n", map[string][]string{"a": {"default"}, "b": {"default"}}},
		{"dynamic names ignored", "gem name\ngem \"rails-#{v}\"\n%w[a b].each do |g|\n gem g\nend\n", map[string][]string{}},
		{"do with block args", "group :test do |x|\n gem 'a'\nend\n", map[string][]string{"a": {"test"}}},
		{"heredoc", "x = <<~EOS\n  end\n  group :test do\nEOS\ngem 'a'\n", map[string][]string{"a": {"default"}}},
		{"=begin", "=begin\nend\n=end\ngem 'a'\n", map[string][]string{"a": {"default"}}},
		{"one-line def", "def helper; end\ngroup :test do gem 'b' end\ngem 'a'\n", map[string][]string{"a": {"default"}}},
		{"extra end", "gem 'a'\nend\n", nil},
		{"unclosed block", "group :test do\n gem 'a'\n", nil},
		{"assignment from if", "v = if x\n 1\nend\n", nil},
		{"long line", "gem '" + strings.Repeat("a", 2<<20) + "'\n", nil},
		{"too deep", strings.Repeat("group :test do\n", 101) + "gem 'a'\n" + strings.Repeat("end\n", 101), nil},
		{"deep but bounded", strings.Repeat("if x\n", 99) + "group :test do\ngem 'a'\n" + strings.Repeat("end\n", 100), map[string][]string{"a": {"test"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseGemfile([]byte(tt.gemfile))
			if tt.want == nil {
				if ok {
					t.Errorf("got %v, want untrusted", got)
				}
				return
			}
			if !ok {
				t.Fatal("not trusted")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseGemfileHuge: a gem in 100,000 groups, and 100 lines of 20,000
// continued arguments, are read in linear time (the first took hours when
// groups were deduplicated by a linear search).
func TestParseGemfileHuge(t *testing.T) {
	var b strings.Builder
	b.WriteString("gem 'a', groups: [")
	for i := range 100_000 {
		fmt.Fprintf(&b, ":g%d, ", i)
	}
	b.WriteString("]\n")
	got, ok := parseGemfile([]byte(b.String()))
	if !ok || len(got["a"]) != 100_000 {
		t.Errorf("ok = %v, %d groups", ok, len(got["a"]))
	}
	line := "gem 'b', " + strings.Repeat("1, ", 20_000) + "\n"
	got, ok = parseGemfile([]byte(strings.Repeat(line, 100)))
	if !ok || len(got) != 1 {
		t.Errorf("continued: ok = %v, %v", ok, len(got))
	}
}

// TestGemsRb: gems.locked is read with gems.rb; an unbalanced Gemfile
// leaves every scope empty.
func TestGemsRb(t *testing.T) {
	lock := "GEM\n  remote: https://rubygems.org/\n  specs:\n    minitest (5.21.2)\n    rake (13.1.0)\n\nDEPENDENCIES\n  minitest\n  rake\n"
	fsys := fstest.MapFS{
		"gems.locked": {Data: []byte(lock)},
		"gems.rb":     {Data: []byte("gem 'rake'\ngem 'minitest', group: :test\n")},
	}
	res, err := (GemfileLock{}).Catalog(context.Background(), fsys, "gems.locked")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"minitest": "test", "rake": ""}, scopes(res)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fsys["gems.rb"] = &fstest.MapFile{Data: []byte("gem 'rake'\ngem 'minitest', group: :test\nend\n")}
	res, err = (GemfileLock{}).Catalog(context.Background(), fsys, "gems.locked")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"minitest": "", "rake": ""}, scopes(res)); diff != "" {
		t.Errorf("unbalanced (-want +got):\n%s", diff)
	}
}

// FuzzGemfile: any Gemfile beside a fixed lockfile never panics, and the
// result keeps the invariants.
func FuzzGemfile(f *testing.F) {
	lock, err := os.ReadFile("testdata/rails-app/Gemfile.lock")
	if err != nil {
		f.Fatal(err)
	}
	gemfile, err := os.ReadFile("testdata/rails-app/Gemfile")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gemfile)
	f.Add([]byte("group(:a, 'b') do |x|\n gem('c', :groups => %i[d e], group: [:f, 'g'])\nend\nx = <<-EOS\nEOS\n=begin\n=end\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseGemfile(data)
		fsys := fstest.MapFS{"Gemfile.lock": {Data: lock}, "Gemfile": {Data: data}}
		res, err := (GemfileLock{}).Catalog(context.Background(), fsys, "Gemfile.lock")
		if err != nil {
			t.Fatal(err)
		}
		catalogtest.CheckInvariants(t, res)
	})
}

// BenchmarkRailsAppScopes: testdata/rails-app with its Gemfile (the corpus
// holds no Gemfile).
func BenchmarkRailsAppScopes(b *testing.B) {
	fsys := os.DirFS("testdata/rails-app")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (GemfileLock{}).Catalog(context.Background(), fsys, "Gemfile.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
