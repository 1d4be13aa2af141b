package assess

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/schematest"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func byID(r *Report) map[string]Check {
	m := map[string]Check{}
	for _, c := range r.Checks {
		m[c.ID] = c
	}
	return m
}

// A workflow with every classic mistake: each check names it, file:line.
func TestBadWorkflow(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".github/workflows/pr.yml": `on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: curl -sSL https://example.com/install.sh | bash
      - run: npm install
`,
		".github/workflows/broken.yml": "on: [push\njobs: {",
		".github/workflows/binary.yml": "\x7fELF\x00\x00garbage",
		"package.json":                 `{"name":"x"}`,
		"key.pem":                      "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUJD", 30) + "\n-----END RSA PRIVATE KEY-----\n",
	})
	rep, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := byID(rep)
	want := map[string]Result{"dangerous-workflow": Fail, "pinned-dependencies": Fail, "token-permissions": Fail, "security-policy": Fail,
		"lockfiles": Fail, "secrets": Fail, "dependency-update-tool": Fail, "license": Fail, "binary-artifacts": Fail}
	for id, res := range want {
		if c[id].Result != res {
			t.Errorf("%s = %s (%s), want %s", id, c[id].Result, c[id].Reason, res)
		}
	}
	ev := func(id string) string {
		var b strings.Builder
		for _, e := range c[id].Evidence {
			b.WriteString(e.File + ":" + strings.TrimSpace(e.Note) + "\n")
		}
		return b.String()
	}
	for id, frag := range map[string]string{
		"dangerous-workflow":  "untrusted code checked out in a pull_request_target workflow",
		"pinned-dependencies": "downloads and runs a script unverified",
		"secrets":             "private key (value not shown)",
	} {
		if !strings.Contains(ev(id), frag) {
			t.Errorf("%s evidence lacks %q:\n%s", id, frag, ev(id))
		}
	}
	if !strings.Contains(ev("dangerous-workflow"), "script injection") {
		t.Errorf("no script injection found:\n%s", ev("dangerous-workflow"))
	}
	if strings.Contains(ev("secrets"), "QUJD") {
		t.Error("the secret itself was printed")
	}
	// The malformed and the binary workflow are named as not checked.
	if !strings.Contains(ev("token-permissions")+ev("pinned-dependencies")+ev("dangerous-workflow"), "broken.yml:not checked") {
		t.Errorf("malformed workflow not reported")
	}
}

// hallmark's own repository passes its own assessment.
func TestSelf(t *testing.T) {
	root, _ := filepath.Abs("../..")
	rep, err := Run(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Result == Fail || c.Result == Partial {
			t.Errorf("hallmark fails its own check %s: %s %v", c.ID, c.Reason, c.Evidence)
		}
	}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return Table(b, rep) }, func(b *bytes.Buffer) error { return Markdown(b, rep) },
		func(b *bytes.Buffer) error { return HTML(b, rep) }, func(b *bytes.Buffer) error { return JSON(b, rep) },
	} {
		var b bytes.Buffer
		if err := w(&b); err != nil || b.Len() == 0 {
			t.Errorf("render: %v", err)
		}
	}
	var b bytes.Buffer
	if err := SARIF(&b, rep, "test"); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "sarif-2.1.0.schema.json", "assess SARIF", b.Bytes())
	if err := Explain(&b, "pinned-dependencies"); err != nil || !strings.Contains(b.String(), "tj-actions") {
		t.Errorf("explain: %v", err)
	}
}

// Every SSDF task is either evidenced by a check or honestly "not
// assessable by a tool"; every check maps to at least one item.
func TestMapping(t *testing.T) {
	known := map[string]bool{}
	for _, f := range Frameworks {
		for _, it := range f.Items {
			known[it.ID] = true
		}
	}
	for id, c := range catalogue {
		if len(c.Tasks) == 0 {
			t.Errorf("%s maps to nothing", id)
		}
		for _, task := range c.Tasks {
			if !known[task] {
				t.Errorf("%s maps to unknown item %s", id, task)
			}
		}
	}
}

func FuzzWorkflow(f *testing.F) {
	f.Add([]byte("on: push\npermissions: read-all\njobs:\n  a:\n    steps:\n      - uses: x/y@v1\n      - run: echo ${{ github.event.issue.title }}\n"))
	f.Add([]byte("on: [push, pull_request_target]\njobs: {a: {uses: ./.github/workflows/x.yml, permissions: {contents: write}}}"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := parseWorkflow("w.yml", b)
		_ = w
	})
}
