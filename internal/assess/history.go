package assess

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Git history is read with the git binary, not a Go implementation: every
// CI runner and developer machine that has a checkout has git, it reads
// every object format and pack version git writes, and go-git would add
// about twenty modules (go-billy, go-crypto, gods, ssh helpers...) of
// attack surface for one `git log`. The repository's own configuration is
// not trusted: no pager, no external diff or textconv drivers, no hooks, no
// fsmonitor, no prompts.

// historyProblem says why the history could not be searched.
type historyProblem struct{ reason string }

func (p *historyProblem) Error() string { return p.reason }

// gitCommand runs git in root with the repository's code-running settings
// turned off.
func gitCommand(ctx context.Context, root string, args ...string) *exec.Cmd {
	base := []string{"-C", root, "--no-pager",
		"-c", "core.fsmonitor=false", "-c", "core.hooksPath=" + os.DevNull,
		"-c", "diff.external=", "-c", "core.pager=cat"}
	cmd := exec.CommandContext(ctx, "git", append(base, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_PAGER=cat", "GIT_EXTERNAL_DIFF=")
	return cmd
}

// gitOutput runs a short git command and returns its trimmed output, or the
// first line of its error.
func gitOutput(ctx context.Context, root string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := gitCommand(ctx, root, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(errb.String()), "\n")
		if msg == "" {
			msg = err.Error()
		}
		return "", &historyProblem{"git " + args[0] + ": " + msg}
	}
	return strings.TrimSpace(out.String()), nil
}

// historyScope checks that root is the top of a git work tree and says
// whether the clone is shallow.
func historyScope(ctx context.Context, root string) (shallow bool, err error) {
	if _, err := exec.LookPath("git"); err != nil {
		return false, &historyProblem{"git is not installed: history not searched"}
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		return false, &historyProblem{"not a git checkout (no .git at its root): history not searched"}
	}
	top, err := gitOutput(ctx, root, "rev-parse", "--show-toplevel")
	if err != nil {
		return false, err
	}
	a, _ := filepath.EvalSymlinks(root)
	b, _ := filepath.EvalSymlinks(top)
	if abs, _ := filepath.Abs(a); abs != b {
		return false, &historyProblem{"not the top of its git work tree: history not searched"}
	}
	s, err := gitOutput(ctx, root, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return s == "true", nil
}

// historyHit is a secret in a commit's added lines.
type historyHit struct {
	commit, file, kind string
}

// historySearch is what searching the history found.
type historySearch struct {
	commits   int
	hits      []historyHit
	truncated bool // stopped at a bound
}

// searchHistory searches the lines every commit (newest first, bounded)
// added for secrets, skipping testdata.
func searchHistory(ctx context.Context, root string) (*historySearch, error) {
	cmd := gitCommand(ctx, root, "log", "-n", strconv.Itoa(limits.AssessCommits), "-p", "--no-color",
		"--no-ext-diff", "--no-textconv", "--no-renames", "--unified=0", "--diff-filter=AM", "--format=format:%x00%H")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &historyProblem{"git log: " + err.Error()}
	}
	res, perr := parsePatchLog(io.LimitReader(out, limits.AssessHistoryBytes+1))
	if perr != nil || res.truncated {
		// Stop git: the rest is not read.
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if perr != nil {
		return nil, perr
	}
	if werr != nil && !res.truncated {
		msg, _, _ := strings.Cut(strings.TrimSpace(errb.String()), "\n")
		if msg == "" {
			msg = werr.Error()
		}
		return nil, &historyProblem{"git log: " + msg}
	}
	return res, nil
}

// parsePatchLog reads `git log -p --format=%x00%H` output: a NUL and the
// commit id start each commit, "+++ b/PATH" each file, "+" each added
// line. The added text of each (commit, file) is searched once it is
// complete. At most limits.AssessHistoryBytes are read.
func parsePatchLog(in io.Reader) (*historySearch, error) {
	res := &historySearch{}
	br := bufio.NewReaderSize(in, 64<<10)
	var (
		commit, file string
		added        bytes.Buffer
		read         int64
		long         bool // inside a line longer than the bound
		lineBuf      []byte
	)
	flush := func() {
		if file != "" && added.Len() > 0 && !strings.Contains(file, "testdata/") {
			for _, h := range findSecrets(added.Bytes()) {
				res.hits = append(res.hits, historyHit{commit: commit, file: file, kind: h.kind})
			}
		}
		added.Reset()
	}
	for {
		chunk, err := br.ReadSlice('\n')
		read += int64(len(chunk))
		if read > limits.AssessHistoryBytes {
			res.truncated = true
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if !long && len(lineBuf)+len(chunk) <= limits.AssessHistoryLine {
				lineBuf = append(lineBuf, chunk...)
			} else {
				long, lineBuf = true, lineBuf[:0]
			}
			continue
		}
		line := chunk
		if len(lineBuf) > 0 {
			line = append(lineBuf, chunk...)
			lineBuf = lineBuf[:0]
		}
		if long {
			long = false
		} else {
			line = bytes.TrimSuffix(line, []byte("\n"))
			switch {
			case len(line) > 0 && line[0] == 0:
				flush()
				file = ""
				commit = string(bytes.TrimSpace(line[1:]))
				res.commits++
			case bytes.HasPrefix(line, []byte("+++ ")):
				flush()
				file = diffPath(string(line[4:]))
			case bytes.HasPrefix(line, []byte("diff --git ")):
				flush()
				file = ""
			case len(line) > 0 && line[0] == '+' && file != "":
				if added.Len()+len(line) <= limits.AssessFileBytes {
					added.Write(line[1:])
					added.WriteByte('\n')
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read git log: %w", err)
		}
	}
	flush()
	return res, nil
}

// diffPath is the path of a "+++ " line: b/PATH, possibly C-quoted by git.
func diffPath(s string) string {
	if s == "/dev/null" {
		return ""
	}
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	return strings.TrimPrefix(s, "b/")
}

// secretsInHistory: a secret removed from the tree is still in every clone
// of the history. The tree's own secrets are the secrets check's.
func (r *repo) secretsInHistory(ctx context.Context) Check {
	c := Check{ID: "secrets-in-history"}
	shallow, err := historyScope(ctx, r.root)
	if err == nil {
		var res *historySearch
		if res, err = searchHistory(ctx, r.root); err == nil {
			return historyVerdict(c, res, shallow)
		}
	}
	var p *historyProblem
	if !errors.As(err, &p) {
		err = &historyProblem{err.Error()}
	}
	c.Result, c.Score, c.Reason = Unknown, -1, err.Error()
	return c
}

func historyVerdict(c Check, res *historySearch, shallow bool) Check {
	seen := map[historyHit]bool{}
	for _, h := range res.hits {
		if seen[h] {
			continue
		}
		seen[h] = true
		c.add(Evidence{File: h.file, Note: fmt.Sprintf("%s added in commit %.12s (value not shown)", h.kind, h.commit)})
	}
	scope := fmt.Sprintf("%d commit(s) searched", res.commits)
	if res.truncated || res.commits >= limits.AssessCommits {
		scope += fmt.Sprintf(" (the newest, up to %d commits or %d MB of changes)", limits.AssessCommits, limits.AssessHistoryBytes>>20)
	}
	switch {
	case len(seen) > 0:
		c.Result, c.Score, c.Reason = Fail, 0, fmt.Sprintf("%d secret(s) in the history, %s: revoke them, then rewrite the history", len(seen), scope)
	case shallow:
		c.Result, c.Score, c.Reason = Unknown, -1, fmt.Sprintf("shallow clone, %s and none had a secret: fetch the whole history (actions/checkout fetch-depth: 0) to search it all", scope)
	default:
		c.Result, c.Score, c.Reason = Pass, 10, "no secret of the known kinds added in the history outside testdata, "+scope
	}
	return c
}

// dropIgnored leaves out the files git ignores in a checkout (build
// outputs, test binaries, node_modules): they are not the repository's
// content, which is what Scorecard and a reviewer see. Outside a checkout,
// or without git, every file stays.
func (r *repo) dropIgnored(ctx context.Context) {
	if _, err := historyScope(ctx, r.root); err != nil {
		return
	}
	out, err := gitOutput(ctx, r.root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
	if err != nil || out == "" {
		return
	}
	var dirs []string
	files := map[string]bool{}
	for _, p := range strings.Split(out, "\x00") {
		switch {
		case p == "":
		case strings.HasSuffix(p, "/"):
			dirs = append(dirs, p)
		default:
			files[p] = true
		}
	}
	kept := r.files[:0]
	for _, f := range r.files {
		if files[f] || slices.ContainsFunc(dirs, func(d string) bool { return strings.HasPrefix(f, d) }) {
			continue
		}
		kept = append(kept, f)
	}
	r.files = kept
}
