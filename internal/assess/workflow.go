package assess

import (
	"path"
	"regexp"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
)

// workflow is what the checks read of a GitHub Actions workflow.
type workflow struct {
	file     string
	err      string // why it could not be read
	triggers map[string]bool
	// topPerms is the top-level permissions: "" undeclared, else
	// "read-all", "write-all", "{}" or "scoped"; topWrite lists write scopes.
	topPerms string
	topWrite []string
	jobs     []job
}

type job struct {
	id    string
	line  int
	perms string
	write []string
	uses  string // a reusable workflow
	steps []step
}

type step struct {
	line int
	uses string
	run  string
	with map[string]string
}

func (r *repo) readWorkflows() {
	for _, f := range r.find(func(p string) bool {
		d, b := path.Split(p)
		return d == ".github/workflows/" && (strings.HasSuffix(b, ".yml") || strings.HasSuffix(b, ".yaml"))
	}) {
		r.workflows = append(r.workflows, parseWorkflow(f, r.read(f)))
	}
}

// parseWorkflow reads a workflow; a file that is not a workflow is kept
// with the reason (its checks say unknown for it).
func parseWorkflow(file string, b []byte) *workflow {
	w := &workflow{file: file, triggers: map[string]bool{}}
	if b == nil {
		w.err = "unreadable or larger than the limit"
		return w
	}
	root, err := yamldoc.Parse(b)
	if err != nil || root == nil || root.Kind != yaml.MappingNode {
		w.err = "not a YAML mapping"
		if err != nil {
			w.err = err.Error()
		}
		return w
	}
	wk := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	on := wk.Get(root, "on")
	if on == nil {
		on = wk.Get(root, "true") // YAML 1.1 reads "on:" as true
	}
	switch {
	case on == nil:
	case on.Kind == yaml.ScalarNode:
		w.triggers[on.Value] = true
	case on.Kind == yaml.SequenceNode:
		wk.Items(on, func(n *yaml.Node) bool { w.triggers[n.Value] = true; return true })
	case on.Kind == yaml.MappingNode:
		wk.Pairs(on, func(k, _ *yaml.Node) bool { w.triggers[k.Value] = true; return true })
	}
	w.topPerms, w.topWrite = perms(wk, wk.Get(root, "permissions"))
	wk.Pairs(wk.Get(root, "jobs"), func(k, v *yaml.Node) bool {
		j := job{id: k.Value, line: k.Line}
		j.perms, j.write = perms(wk, wk.Get(v, "permissions"))
		if u := wk.Get(v, "uses"); u != nil && u.Kind == yaml.ScalarNode {
			j.uses = u.Value
		}
		wk.Items(wk.Get(v, "steps"), func(s *yaml.Node) bool {
			st := step{line: s.Line, with: map[string]string{}}
			if u := wk.Get(s, "uses"); u != nil && u.Kind == yaml.ScalarNode {
				st.uses, st.line = strings.TrimSpace(u.Value), u.Line
			}
			if rn := wk.Get(s, "run"); rn != nil && rn.Kind == yaml.ScalarNode {
				st.run, st.line = rn.Value, rn.Line
			}
			wk.Pairs(wk.Get(s, "with"), func(k, v *yaml.Node) bool {
				if v.Kind == yaml.ScalarNode {
					st.with[k.Value] = v.Value
				}
				return true
			})
			j.steps = append(j.steps, st)
			return true
		})
		w.jobs = append(w.jobs, j)
		return true
	})
	if err := wk.Err(); err != nil {
		w.err = err.Error()
	}
	return w
}

// perms classifies a permissions block.
func perms(wk *yamldoc.Walker, n *yaml.Node) (string, []string) {
	switch {
	case n == nil:
		return "", nil
	case n.Kind == yaml.ScalarNode:
		return n.Value, nil // read-all, write-all
	case n.Kind == yaml.MappingNode && len(n.Content) == 0:
		return "{}", nil
	}
	var write []string
	wk.Pairs(n, func(k, v *yaml.Node) bool {
		if v.Kind == yaml.ScalarNode && v.Value == "write" {
			write = append(write, k.Value)
		}
		return true
	})
	return "scoped", write
}

var (
	shaRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`@[0-9a-fA-F]{40}$`) })
	// untrusted are the event fields an attacker controls (Scorecard's
	// Dangerous-Workflow list).
	untrusted = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\$\{\{[^}]*github\.(event\.(issue\.(title|body)|pull_request\.(title|body|head\.(ref|label)|head\.repo\.default_branch)|comment\.body|review\.body|review_comment\.body|pages\.[^}]*\.page_name|commits\.[^}]*\.(message|author\.(email|name))|head_commit\.(message|author\.(email|name))|workflow_run\.(head_branch|head_commit\.(message|author\.(email|name))|pull_requests\.[^}]*\.head\.ref))|head_ref)[^}]*\}\}`)
	})
	prHead = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`github\.(event\.pull_request\.head\.(sha|ref)|head_ref|event\.workflow_run\.head_(sha|branch))`)
	})
)
