package python

import (
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
)

// pyproject is the part of pyproject.toml
// (https://packaging.python.org/en/latest/specifications/pyproject-toml/)
// that says which packages a project declares: PEP 621 [project]
// dependencies and optional-dependencies, PEP 735 [dependency-groups], and
// the tool tables of Poetry ([tool.poetry.dependencies],
// [tool.poetry.group.X.dependencies], the old [tool.poetry.dev-dependencies])
// and PDM ([tool.pdm.dev-dependencies]).
type pyproject struct {
	Project struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Name            string         `toml:"name"`
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
		PDM struct {
			DevDependencies map[string][]string `toml:"dev-dependencies"`
		} `toml:"pdm"`
	} `toml:"tool"`
}

// declared is what a pyproject.toml declares.
type declared struct {
	// names holds the normalised names of every declared dependency.
	names map[string]bool
	// extras holds the names of the project's optional-dependency groups
	// (extras), whose packages are optional at run time.
	extras map[string]bool
	// self is the normalised name of the project itself.
	self string
}

// readPyproject reads the pyproject.toml beside lockPath. It returns nil when
// there is none or it cannot be read: the lockfile is still cataloged, only
// Direct is then inferred.
func readPyproject(fsys fs.FS, lockPath string) *declared {
	data, err := catalog.ReadFile(fsys, path.Join(path.Dir(lockPath), "pyproject.toml"))
	if err != nil {
		return nil
	}
	var pp pyproject
	if _, err := tomldoc.Decode(data, &pp); err != nil {
		return nil
	}
	d := &declared{names: map[string]bool{}, extras: map[string]bool{}}
	d.self = purl.NormalizePyPI(pp.Project.Name)
	if d.self == "" {
		d.self = purl.NormalizePyPI(pp.Tool.Poetry.Name)
	}
	addReqs := func(reqs []string) {
		for _, s := range reqs {
			// PDM writes editable dev dependencies as pip options:
			// "-e file:///${PROJECT_ROOT}/libs/x#egg=x".
			if e, ok := strings.CutPrefix(strings.TrimSpace(s), "-e "); ok {
				if _, frag, ok := strings.Cut(e, "#egg="); ok {
					d.names[purl.NormalizePyPI(strings.SplitN(frag, "&", 2)[0])] = true
				}
				continue
			}
			if r, ok := parseRequirement(s); ok {
				d.names[purl.NormalizePyPI(r.Name)] = true
			}
		}
	}
	addReqs(pp.Project.Dependencies)
	for extra, reqs := range pp.Project.OptionalDependencies {
		d.extras[extra] = true
		addReqs(reqs)
	}
	for _, items := range pp.DependencyGroups {
		for _, it := range items {
			if s, ok := it.(string); ok { // {include-group = "x"} tables add nothing new
				addReqs([]string{s})
			}
		}
	}
	for _, reqs := range pp.Tool.PDM.DevDependencies {
		addReqs(reqs)
	}
	addKeys := func(m map[string]any) {
		for k := range m {
			if k != "python" {
				d.names[purl.NormalizePyPI(k)] = true
			}
		}
	}
	addKeys(pp.Tool.Poetry.Dependencies)
	addKeys(pp.Tool.Poetry.DevDependencies)
	for _, g := range pp.Tool.Poetry.Group {
		addKeys(g.Dependencies)
	}
	delete(d.names, d.self)
	return d
}
