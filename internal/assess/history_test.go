package assess

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A fake AWS key id (the documentation's example shape, not a real key).
const fakeAWSKey = "AKIA" + "IOSFODNN7EXAMPLE"

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the history checks need it")
	}
}

func git(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func write(t testing.TB, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leakyRepo: a key committed, then deleted; a fixture key under testdata.
func leakyRepo(t testing.TB) string {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, "README.md", "hello\n")
	write(t, dir, "deploy/config.env", "AWS_ACCESS_KEY_ID="+fakeAWSKey+"\n")
	write(t, dir, "pkg/testdata/key.env", "AWS_ACCESS_KEY_ID="+fakeAWSKey+"\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "add config")
	write(t, dir, "deploy/config.env", "AWS_ACCESS_KEY_ID=${FROM_THE_SECRET_STORE}\n")
	git(t, dir, "commit", "-q", "-am", "remove the key")
	return dir
}

func check(t *testing.T, rep *Report, id string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return Check{}
}

func TestSecretsInHistory(t *testing.T) {
	needGit(t)
	dir := leakyRepo(t)
	rep, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The tree is clean now: the tree check passes, the history one fails
	// and names the file and the commit, not the key.
	if c := check(t, rep, "secrets"); c.Result != Pass {
		t.Errorf("secrets: %s %s", c.Result, c.Reason)
	}
	c := check(t, rep, "secrets-in-history")
	if c.Result != Fail || len(c.Evidence) != 1 || c.Evidence[0].File != "deploy/config.env" ||
		!strings.Contains(c.Evidence[0].Note, "AWS access key id added in commit ") {
		t.Fatalf("secrets-in-history: %s %s %v", c.Result, c.Reason, c.Evidence)
	}
	var out bytes.Buffer
	if err := JSON(&out, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), fakeAWSKey) {
		t.Error("the secret itself was printed")
	}
	if !strings.Contains(c.Reason, "2 commit(s) searched") {
		t.Errorf("reason: %s", c.Reason)
	}
}

func TestHistoryUnknown(t *testing.T) {
	needGit(t)
	dir := leakyRepo(t)
	cases := map[string]struct {
		root func(t *testing.T) string
		want string
	}{
		"shallow": {func(t *testing.T) string {
			c := filepath.Join(t.TempDir(), "c")
			git(t, dir, "clone", "-q", "--depth", "1", "file://"+dir, c)
			return c
		}, "shallow clone, 1 commit(s) searched"},
		"not a checkout": {func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "README.md", "x\n")
			return d
		}, "not a git checkout"},
		"subdirectory": {func(t *testing.T) string { return filepath.Join(dir, "deploy") }, "not a git checkout"},
		"corrupt": {func(t *testing.T) string {
			c := filepath.Join(t.TempDir(), "c")
			git(t, dir, "clone", "-q", "--no-local", dir, c)
			// Every object pack and loose object gone: git log cannot read HEAD.
			if err := os.RemoveAll(filepath.Join(c, ".git", "objects")); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(c, ".git", "objects"), 0o755); err != nil {
				t.Fatal(err)
			}
			return c
		}, "git "},
		"no git binary": {func(t *testing.T) string {
			t.Setenv("PATH", t.TempDir())
			return dir
		}, "git is not installed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := tc.root(t)
			rep, err := Run(context.Background(), root, Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := check(t, rep, "secrets-in-history")
			if c.Result != Unknown || !strings.Contains(c.Reason, tc.want) {
				t.Fatalf("%s: %s %q, want unknown-offline with %q", name, c.Result, c.Reason, tc.want)
			}
		})
	}
}

func TestPatchLogMalformed(t *testing.T) {
	key := "-----BEGIN OPENSSH PRIVATE " + "KEY-----\n+" + strings.Repeat("QUJD", 40) + "\n"
	for name, in := range map[string]string{
		"empty":          "",
		"no commit":      "+++ b/x\n+" + fakeAWSKey + "\n",
		"quoted path":    "\x00abc\n\ndiff --git \"a/a b\" \"b/a b\"\n+++ \"b/a\\tb\"\n@@ -0,0 +1 @@\n+" + fakeAWSKey + "\n",
		"long line":      "\x00abc\n+++ b/x\n+" + strings.Repeat("A", 3<<20) + "\n+" + fakeAWSKey + "\n",
		"no final EOL":   "\x00abc\n+++ b/x\n+" + fakeAWSKey,
		"binary":         "\x00abc\nBinary files /dev/null and b/x differ\n",
		"dev null":       "\x00abc\n+++ /dev/null\n+" + fakeAWSKey + "\n",
		"key over lines": "\x00abc\n+++ b/id\n@@ -0,0 +1,2 @@\n+" + key,
	} {
		res, err := parsePatchLog(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := map[string]int{"quoted path": 1, "long line": 1, "no final EOL": 1, "key over lines": 1, "no commit": 1}[name]
		if len(res.hits) != want {
			t.Errorf("%s: %d hits %v, want %d", name, len(res.hits), res.hits, want)
		}
		if name == "quoted path" && len(res.hits) == 1 && res.hits[0].file != "a\tb" {
			t.Errorf("quoted path: %q", res.hits[0].file)
		}
	}
}

func FuzzPatchLog(f *testing.F) {
	f.Add([]byte("\x00abc\n+++ b/x\n@@ -0,0 +1 @@\n+" + fakeAWSKey + "\n"))
	f.Add([]byte("\x00\n+++ \"b/\\377\"\n+-----BEGIN PRIVATE " + "KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parsePatchLog(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkHistory: searching hallmark's own history (git log -p of every
// commit, bounded).
func BenchmarkHistory(b *testing.B) {
	needGit(b)
	root, _ := filepath.Abs("../..")
	if _, err := historyScope(context.Background(), root); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := searchHistory(context.Background(), root); err != nil {
			b.Fatal(err)
		}
	}
}

// Files git ignores in a checkout (a build output) are not the
// repository's: binary-artifacts does not count them; the same binary
// committed is counted.
func TestIgnoredFilesLeftOut(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, ".gitignore", "/dist/\n")
	write(t, dir, "dist/app", "\x7fELF\x02\x01\x01binary")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "init")
	rep, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := check(t, rep, "binary-artifacts"); c.Result != Pass {
		t.Errorf("an ignored build output counted: %s %v", c.Reason, c.Evidence)
	}
	write(t, dir, "tools/app", "\x7fELF\x02\x01\x01binary")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "a binary")
	rep, _ = Run(context.Background(), dir, Options{})
	if c := check(t, rep, "binary-artifacts"); c.Result == Pass {
		t.Error("a committed binary was not counted")
	}
}
