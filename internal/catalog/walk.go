package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Options configure a walk.
type Options struct {
	// Catalogers to run; a file is given to every cataloger that claims it.
	Catalogers []Cataloger
	// Parallelism bounds concurrent directory reads and parses; zero means
	// GOMAXPROCS.
	Parallelism int
	// Progress, when set, receives counters as the walk goes. It may be
	// read at any time from another goroutine.
	Progress *Progress
	// Exclude, when set, names paths the walk skips before opening them
	// (--exclude).
	Exclude *Exclusions
}

// Progress counts a walk's work. Its fields are updated atomically.
type Progress struct {
	Files    atomic.Int64 // files seen
	Claimed  atomic.Int64 // files claimed by a cataloger
	Parsed   atomic.Int64 // claimed files parsed
	Packages atomic.Int64 // packages found (before merging)
}

// Problem is a file or directory that could not be read completely. A walk
// goes on past problems; the caller reports them and says the result is
// incomplete.
type Problem struct {
	Path      string
	Cataloger string // empty for walk errors
	Err       error
}

func (p Problem) Error() string {
	if p.Cataloger != "" {
		return fmt.Sprintf("%s: %s: %v", p.Path, p.Cataloger, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.Path, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// skipDirs are directories never descended into.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

type job struct {
	path string
	c    Cataloger
}

type found struct {
	path string
	c    string
	res  *Result
}

// Walk catalogs every file of fsys a cataloger claims, in parallel, and merges
// the results into one document (packages with the same purl found in several
// files become one package with several locations). Symbolic links are not
// followed, so link loops cannot trap the walk. Unreadable directories and
// files that fail to parse are returned as problems; the walk goes on.
func Walk(ctx context.Context, fsys fs.FS, opts Options) (*sbom.Document, []Problem) {
	par := cmp.Or(opts.Parallelism, runtime.GOMAXPROCS(0))
	prog := opts.Progress
	if prog == nil {
		prog = new(Progress)
	}
	w := &walker{fsys: fsys, opts: opts, prog: prog, sem: make(chan struct{}, par), jobs: make(chan job, 256)}

	var parsers sync.WaitGroup
	for range par {
		parsers.Add(1)
		go func() {
			defer parsers.Done()
			for j := range w.jobs {
				w.parse(ctx, j)
			}
		}()
	}
	w.dirs.Add(1)
	go w.walkDir(ctx, ".", false)
	w.dirs.Wait()
	close(w.jobs)
	parsers.Wait()
	return w.merge(), w.sortedProblems()
}

// File catalogs one file of fsys with the catalogers that claim it. It is an
// error when none does.
func File(ctx context.Context, fsys fs.FS, name string, opts Options) (*sbom.Document, []Problem, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, nil, err
	}
	w := &walker{fsys: fsys, opts: opts, prog: cmp.Or(opts.Progress, new(Progress))}
	claimed := false
	for _, c := range opts.Catalogers {
		if ClaimsAlone(c, name, st.Mode()) {
			claimed = true
			w.parse(ctx, job{name, c})
		}
	}
	if !claimed {
		return nil, nil, fmt.Errorf("%s: no cataloger reads this kind of file", name)
	}
	return w.merge(), w.sortedProblems(), nil
}

type walker struct {
	fsys fs.FS
	opts Options
	prog *Progress
	sem  chan struct{}
	jobs chan job
	dirs sync.WaitGroup

	mu       sync.Mutex
	results  []found
	problems []Problem
}

func (w *walker) problem(p Problem) {
	w.mu.Lock()
	w.problems = append(w.problems, p)
	w.mu.Unlock()
}

// walkDir reads dir and walks its sub-directories in new goroutines.
// inModCache says dir lies inside a Go module cache (GOMODCACHE).
func (w *walker) walkDir(ctx context.Context, dir string, inModCache bool) {
	defer w.dirs.Done()
	if ctx.Err() != nil {
		return
	}
	w.sem <- struct{}{}
	entries, err := fs.ReadDir(w.fsys, dir)
	<-w.sem
	if err != nil {
		w.problem(Problem{Path: dir, Err: err})
		// ReadDir may return the entries it read before the error.
	}
	inModCache = inModCache || w.isModCache(dir, entries)
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		if w.opts.Exclude.Excluded(name) {
			continue
		}
		switch t := e.Type(); {
		case t.IsDir():
			if skipDirs[e.Name()] || inModCache && isModuleVersionDir(e.Name()) {
				continue
			}
			w.dirs.Add(1)
			go w.walkDir(ctx, name, inModCache)
		case t.IsRegular():
			w.prog.Files.Add(1)
			mode, full := t, false
			for _, c := range w.opts.Catalogers {
				if mc, ok := c.(ModeClaimer); ok {
					if !mc.MayClaim(name) {
						continue
					}
					if !full {
						if info, err := e.Info(); err == nil {
							mode = info.Mode()
						}
						full = true
					}
				}
				if c.Claims(name, mode) {
					w.prog.Claimed.Add(1)
					w.jobs <- job{name, c}
				}
			}
		}
		// Symbolic links, devices, sockets and pipes are not followed.
	}
}

// isModCache reports whether dir, with the given entries, is the root of a
// Go module cache: it holds cache/download, where the go command keeps every
// module's zip and hash.
func (w *walker) isModCache(dir string, entries []fs.DirEntry) bool {
	for _, e := range entries {
		if e.Name() == "cache" && e.IsDir() {
			st, err := fs.Stat(w.fsys, path.Join(dir, "cache", "download"))
			return err == nil && st.IsDir()
		}
	}
	return false
}

// isModuleVersionDir reports whether name is an extracted module directory
// of a Go module cache ("cobra@v1.10.2"). Inside a module cache such trees are
// read-only copies of the modules' zips, which the golang module-cache
// cataloger already reports, one package each, from cache/download. Walking
// them would catalog every module's own test fixtures (package.json files,
// workflows, lockfiles of other ecosystems) as if they were part of the
// scanned project.
func isModuleVersionDir(name string) bool {
	i := strings.LastIndex(name, "@v")
	return i > 0 && i+2 < len(name) && name[i+2] >= '0' && name[i+2] <= '9'
}

func (w *walker) parse(ctx context.Context, j job) {
	defer w.prog.Parsed.Add(1)
	if ctx.Err() != nil {
		return
	}
	res, err := safeCatalog(ctx, j.c, w.fsys, j.path)
	if err != nil {
		w.problem(Problem{Path: j.path, Cataloger: j.c.Name(), Err: err})
	}
	if res == nil || len(res.Packages) == 0 {
		return
	}
	w.prog.Packages.Add(int64(len(res.Packages)))
	w.mu.Lock()
	w.results = append(w.results, found{j.path, j.c.Name(), res})
	w.mu.Unlock()
}

// errPanic marks a cataloger that panicked: a bug in hallmark, reported
// like a parse failure so that one bad file cannot end the scan.
var errPanic = errors.New("internal error in cataloger")

func safeCatalog(ctx context.Context, c Cataloger, fsys fs.FS, name string) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: %v\n%s", errPanic, r, debug.Stack())
		}
	}()
	return c.Catalog(ctx, fsys, name)
}

// merge builds the document from the results in path order, so that the
// output does not depend on which parse finished first.
func (w *walker) merge() *sbom.Document {
	slices.SortFunc(w.results, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.c, b.c))
	})
	doc := &sbom.Document{}
	owned := map[string]string{}
	for _, f := range w.results {
		for i := range f.res.Packages {
			if f.res.Packages[i].ID == "" {
				f.res.Packages[i].ID = f.res.Packages[i].Key()
			}
		}
		for p, id := range f.res.Owns {
			owned[p] = id
		}
	}
	for _, f := range w.results {
		pkgs := f.res.Packages
		if len(owned) > 0 && f.res.Owns == nil {
			pkgs = slices.DeleteFunc(slices.Clone(pkgs), func(p sbom.Package) bool { return ownedBy(p, owned) != "" })
		}
		doc.Add(pkgs...)
		doc.Relate(f.res.Relationships...)
	}
	doc.Normalize()
	return doc
}

// ownedBy returns the OS package that owns every file p was found in, or
// "".
func ownedBy(p sbom.Package, owned map[string]string) string {
	owner := ""
	for _, l := range p.Locations {
		o, ok := owned[l.Path]
		if !ok || owner != "" && o != owner {
			return ""
		}
		owner = o
	}
	return owner
}

func (w *walker) sortedProblems() []Problem {
	slices.SortFunc(w.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Cataloger, b.Cataloger))
	})
	return w.problems
}
