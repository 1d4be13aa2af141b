package rust

import (
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/limits"
)

// PropKind is set on crates that only build-dependencies or
// dev-dependencies of the workspace reach: "build" or "dev".
const PropKind = "hallmark:cargo:kind"

// depKind is how a workspace crate declares a dependency, ordered from the
// most needed to the least: a package reached by several kinds takes the
// first.
type depKind uint8

const (
	kindNormal   depKind = iota // [dependencies], [target.X.dependencies]
	kindOptional                // the same with optional = true
	kindBuild                   // [build-dependencies]
	kindDev                     // [dev-dependencies]
	kindNone                    // not reached
)

// manifest is the part of a Cargo.toml
// (https://doc.rust-lang.org/cargo/reference/manifest.html,
// https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html,
// https://doc.rust-lang.org/cargo/reference/workspaces.html) that says what
// a crate depends on and which crates a workspace has. Dependency values are
// a version string or a table; dotted keys (foo.workspace = true) decode to
// a table. Cargo still accepts the old dev_dependencies and
// build_dependencies spellings.
type manifest struct {
	Package struct {
		Name string `toml:"name"`
		// Workspace is the workspace root of a member that does not
		// sit below it (package.workspace = "../root").
		Workspace string `toml:"workspace"`
	} `toml:"package"`
	depTables
	Target    map[string]depTables `toml:"target"`
	Workspace struct {
		Members      []string       `toml:"members"`
		Exclude      []string       `toml:"exclude"`
		Dependencies map[string]any `toml:"dependencies"`
	} `toml:"workspace"`
	// isWorkspace says the manifest has a [workspace] table: it is the root
	// of a workspace.
	isWorkspace bool
}

type depTables struct {
	Dependencies       map[string]any `toml:"dependencies"`
	DevDependencies    map[string]any `toml:"dev-dependencies"`
	DevDependencies2   map[string]any `toml:"dev_dependencies"`
	BuildDependencies  map[string]any `toml:"build-dependencies"`
	BuildDependencies2 map[string]any `toml:"build_dependencies"`
}

// crate is one workspace crate: its name and how it declares each
// dependency, keyed by the dependency's real (package) name, which is the
// name Cargo.lock records.
type crate struct {
	name string
	deps map[string]depKind
}

func (c *crate) declare(name string, k depKind) {
	if old, ok := c.deps[name]; !ok || k < old {
		c.deps[name] = k
	}
}

// readWorkspace reads the Cargo.toml in dir (the directory of a Cargo.lock,
// which is the workspace root) and the manifests of the workspace's crates:
// the root package if it has one, the [workspace] members (globs expanded
// with fs.Glob, minus exclude), and path dependencies inside the workspace
// directory, which Cargo makes members implicitly. At most
// limits.WorkspaceManifests manifests are read. It returns nil when dir has
// no readable Cargo.toml; a member manifest that cannot be read or parsed is
// skipped (its crate is then an ordinary node of the lockfile graph).
func readWorkspace(fsys fs.FS, dir string) []crate {
	root, ok := readManifest(fsys, path.Join(dir, "Cargo.toml"))
	if !ok {
		return nil
	}
	// Inherited dependencies: key -> (package name, path relative to dir).
	type wsDep struct{ name, path string }
	inherited := map[string]wsDep{}
	for k, v := range root.Workspace.Dependencies {
		name, _, _, p := depSpec(k, v)
		if p != "" {
			p = path.Join(dir, p)
		}
		inherited[k] = wsDep{name, p}
	}

	var crates []crate
	seen := map[string]bool{}
	queue := []string{}
	enqueue := func(d string) {
		if !seen[d] && fs.ValidPath(d) && len(seen) < limits.WorkspaceManifests {
			seen[d] = true
			queue = append(queue, d)
		}
	}
	excluded := map[string]bool{}
	for _, e := range root.Workspace.Exclude {
		excluded[path.Join(dir, e)] = true
	}
	inside := func(d string) bool {
		if excluded[d] {
			return false
		}
		if dir == "." {
			return d != ".." && !strings.HasPrefix(d, "../")
		}
		return d == dir || strings.HasPrefix(d, dir+"/")
	}
	seen[dir] = true
	for _, g := range root.Workspace.Members {
		if g == "" || path.IsAbs(g) {
			continue
		}
		matches, err := fs.Glob(fsys, path.Join(dir, g))
		if err != nil {
			continue
		}
		for _, m := range matches {
			if inside(m) {
				enqueue(m)
			}
		}
	}

	add := func(crateDir string, m *manifest) {
		c := crate{name: m.Package.Name, deps: map[string]depKind{}}
		tables := []depTables{m.depTables}
		for _, t := range m.Target {
			tables = append(tables, t)
		}
		for _, t := range tables {
			for _, tk := range []struct {
				deps map[string]any
				kind depKind
			}{
				{t.Dependencies, kindNormal},
				{t.BuildDependencies, kindBuild},
				{t.BuildDependencies2, kindBuild},
				{t.DevDependencies, kindDev},
				{t.DevDependencies2, kindDev},
			} {
				for key, v := range tk.deps {
					name, optional, ws, p := depSpec(key, v)
					if p != "" {
						p = path.Join(crateDir, p)
					}
					if ws {
						if d, ok := inherited[key]; ok {
							name, p = d.name, d.path
						}
					}
					k := tk.kind
					if optional && k == kindNormal {
						k = kindOptional
					}
					c.declare(name, k)
					if p != "" && inside(p) {
						enqueue(p)
					}
				}
			}
		}
		crates = append(crates, c)
	}
	if root.Package.Name != "" {
		add(dir, root)
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if m, ok := readManifest(fsys, path.Join(d, "Cargo.toml")); ok && m.Package.Name != "" {
			add(d, m)
		}
	}
	return crates
}

func readManifest(fsys fs.FS, p string) (*manifest, bool) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, false
	}
	var m manifest
	md, err := tomldoc.Decode(data, &m)
	if err != nil {
		return nil, false
	}
	m.isWorkspace = md.IsDefined("workspace")
	return &m, true
}

// depSpec reads one dependency entry: key = "version" or key = { package =
// "real-name", optional = true, workspace = true, path = "..." }.
func depSpec(key string, v any) (name string, optional, workspace bool, p string) {
	name = key
	t, ok := v.(map[string]any)
	if !ok {
		return name, false, false, ""
	}
	if s, ok := t["package"].(string); ok && s != "" {
		name = s
	}
	optional, _ = t["optional"].(bool)
	workspace, _ = t["workspace"].(bool)
	p, _ = t["path"].(string)
	return name, optional, workspace, p
}
