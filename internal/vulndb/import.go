package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/osv"
)

// Options configure Update.
type Options struct {
	// Dir is the database directory; it is created when missing.
	Dir string
	// Source is an http(s) URL of an export (the layout of
	// DefaultSource: <source>/<ECOSYSTEM>/all.zip and <source>/ecosystems.txt),
	// a directory with the same layout, or one zip of OSV records.
	Source string
	// Ecosystems limits the update to these OSV ecosystems; empty means
	// every ecosystem the source offers.
	Ecosystems []string
	// Force re-imports ecosystems whose source did not change.
	Force bool
	// Client is the HTTP client; nil means NewHTTPClient().
	Client *http.Client
	// IdleTimeout aborts a download that receives nothing for this long;
	// zero means 60 s.
	IdleTimeout time.Duration
	// MaxDownload bounds one all.zip; zero means limits.OSVExportBytes.
	MaxDownload int64
	// Progress, when set, is called (from one goroutine at a time) as
	// downloads and imports advance.
	Progress func(Progress)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Progress reports how far an ecosystem's update is. Phase is "download"
// (Done and Total in bytes, Total -1 when unknown) or "import" (records).
type Progress struct {
	Ecosystem string
	Phase     string
	Done      int64
	Total     int64
}

// Outcome of one ecosystem's update.
const (
	Updated   = "updated"
	Unchanged = "unchanged"
	Failed    = "failed"
)

// EcosystemResult says what happened to one ecosystem.
type EcosystemResult struct {
	Name   string
	Status string
	// Err says why the update failed; the previous data, if any, is kept.
	Err  error
	Meta EcosystemMeta
	// Kept is true when a failed ecosystem still has its previous data.
	Kept bool
}

// Result is the outcome of Update.
type Result struct {
	Ecosystems []EcosystemResult
	// Warnings are problems that did not stop the update (an unreadable
	// previous index that was rebuilt, records of a single zip that were
	// skipped).
	Warnings []string
	// Skipped counts records of a single zip (Options.Source a zip file)
	// that could not be attributed to any ecosystem: not valid OSV, or
	// naming no package ecosystem. Records of an export folder are counted
	// in their ecosystem's EcosystemMeta.Skipped instead.
	Skipped int
	// SkippedExamples names the first few of them with the reason.
	SkippedExamples []string
}

// Failed reports whether any ecosystem failed.
func (r *Result) Failed() bool {
	for _, e := range r.Ecosystems {
		if e.Status == Failed {
			return true
		}
	}
	return false
}

type updater struct {
	opts Options
	now  time.Time
	old  *DB
	pmu  sync.Mutex

	// loose counts records of a single zip that belong to no ecosystem.
	loose skipLog
}

// skipLog counts skipped records and keeps the first few reasons. It is
// safe for concurrent use.
type skipLog struct {
	mu       sync.Mutex
	n        int
	examples []string
}

func (l *skipLog) add(reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.examples) < maxSkippedExamples {
		l.examples = append(l.examples, reason)
	}
}

// maxSkippedExamples is how many skip reasons are kept per section or zip.
const maxSkippedExamples = 5

// Update imports the source into the index in opts.Dir and swaps the new
// index in atomically. Ecosystems that fail keep their previous data and
// are reported in the result; Update returns an error only when nothing
// could be written.
//
// Update holds the directory's writer lock (LockName) for its whole run: a
// second Update on the same directory fails at once with an error wrapping
// ErrLocked. Readers are never blocked.
func Update(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		return nil, errors.New("no database directory")
	}
	if opts.Source == "" {
		opts.Source = DefaultSource
	}
	if opts.Client == nil {
		opts.Client = NewHTTPClient()
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 60 * time.Second
	}
	if opts.MaxDownload <= 0 {
		opts.MaxDownload = limits.OSVExportBytes
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	cleanStale(opts.Dir)
	u := &updater{opts: opts, now: now().UTC()}
	res := &Result{}
	old, err := Open(opts.Dir)
	switch {
	case err == nil:
		u.old = old
		defer old.Close()
	case errors.Is(err, ErrNoData):
	case errors.Is(err, ErrCorrupt):
		res.Warnings = append(res.Warnings, fmt.Sprintf("previous index unreadable, rebuilding: %v", err))
	default:
		return nil, err
	}

	w, err := newWriter(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	done := map[string]bool{}
	if isURL(opts.Source) || isDir(opts.Source) {
		ecos := opts.Ecosystems
		if len(ecos) == 0 {
			ecos, err = u.list(ctx)
			if err != nil {
				w.abort()
				return nil, err
			}
		}
		ecos = exportFolders(ecos)
		for _, eco := range ecos {
			if err := ctx.Err(); err != nil {
				w.abort()
				return nil, err
			}
			r, err := u.one(ctx, w, eco)
			if err != nil { // writing the new index failed: nothing changes
				w.abort()
				return nil, err
			}
			res.Ecosystems = append(res.Ecosystems, r)
			done[eco] = true
		}
	} else {
		rs, err := u.file(ctx, w)
		if err != nil {
			w.abort()
			return nil, err
		}
		for _, r := range rs {
			done[r.Name] = true
		}
		res.Ecosystems = rs
		res.Skipped, res.SkippedExamples = u.loose.n, u.loose.examples
		if u.loose.n > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: skipped %d record(s) that name no ecosystem or are not valid OSV (first: %s)",
				opts.Source, u.loose.n, strings.Join(u.loose.examples, "; ")))
		}
	}
	if u.old != nil {
		for _, m := range u.old.meta.Ecosystems {
			if !done[m.Name] {
				if err := w.copySection(u.old.f, m); err != nil {
					w.abort()
					return nil, err
				}
			}
		}
	}
	w.meta.Built = u.now
	if err := w.commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// exportFolders maps the ecosystems asked for to the export folders that
// hold them, sorted and without duplicates: a distribution release
// ("Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS", "AlmaLinux:9") is in
// its distribution's folder ("Debian"), which holds every release's records
// (osv.dev exports only those since October 2024; the per-release folders
// older listings name are stale), and the index keeps one section per
// distribution.
func exportFolders(ecos []string) []string {
	out := make([]string, 0, len(ecos))
	for _, e := range ecos {
		out = append(out, osv.BaseEcosystem(e))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func isDir(s string) bool {
	st, err := os.Stat(s)
	return err == nil && st.IsDir()
}

// cleanStale removes the temporary files an interrupted update (killed,
// crashed, out of disk) left behind. The caller holds the directory lock,
// so no other writer is using them.
func cleanStale(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".index-") || strings.HasPrefix(n, ".section-") || strings.HasPrefix(n, ".download-") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

func (u *updater) progress(p Progress) {
	if u.opts.Progress == nil {
		return
	}
	u.pmu.Lock()
	defer u.pmu.Unlock()
	u.opts.Progress(p)
}

// list returns the ecosystems the source offers: its ecosystems.txt, or
// for a directory without one, every folder holding an all.zip.
func (u *updater) list(ctx context.Context) ([]string, error) {
	src := u.opts.Source
	if isURL(src) {
		var buf bytes.Buffer
		_, err := fetch(ctx, u.opts.Client, strings.TrimSuffix(src, "/")+"/ecosystems.txt", validators{}, false, 1<<20, u.opts.IdleTimeout, &buf, nil)
		if err != nil {
			return nil, fmt.Errorf("list ecosystems at %s: %w", src, err)
		}
		ecos := parseEcosystems(buf.Bytes())
		if len(ecos) == 0 {
			return nil, fmt.Errorf("list ecosystems at %s: ecosystems.txt names none", src)
		}
		return ecos, nil
	}
	if b, err := os.ReadFile(filepath.Join(src, "ecosystems.txt")); err == nil {
		if ecos := parseEcosystems(b); len(ecos) > 0 {
			return ecos, nil
		}
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var ecos []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(src, e.Name(), "all.zip")); err == nil {
			ecos = append(ecos, e.Name())
		}
	}
	if len(ecos) == 0 {
		return nil, fmt.Errorf("%s: no <ECOSYSTEM>/all.zip folders (not an OSV export layout)", src)
	}
	return ecos, nil
}

// one updates one ecosystem from a URL or directory source. The returned
// error is fatal (the new index cannot be written); per-ecosystem failures
// are in the result.
func (u *updater) one(ctx context.Context, w *writer, eco string) (EcosystemResult, error) {
	r := EcosystemResult{Name: eco}
	var oldMeta EcosystemMeta
	hadOld := false
	if u.old != nil {
		oldMeta, hadOld = u.old.Ecosystem(eco)
	}
	keepOld := func(err error) (EcosystemResult, error) {
		r.Status, r.Err = Failed, err
		if hadOld {
			r.Kept, r.Meta = true, oldMeta
			return r, w.copySection(u.old.f, oldMeta)
		}
		return r, nil
	}
	var (
		f      *os.File
		size   int64
		v      validators
		source string
	)
	if isURL(u.opts.Source) {
		source = strings.TrimSuffix(u.opts.Source, "/") + "/" + url.PathEscape(eco) + "/all.zip"
		tmp, err := os.CreateTemp(u.opts.Dir, ".download-*.zip")
		if err != nil {
			return r, err
		}
		defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
		old := validators{}
		if hadOld && oldMeta.Source == source && !u.opts.Force {
			old = validators{oldMeta.ETag, oldMeta.LastModified}
		}
		fr, err := fetch(ctx, u.opts.Client, source, old, true, u.opts.MaxDownload, u.opts.IdleTimeout, tmp, func(done, total int64) {
			u.progress(Progress{eco, "download", done, total})
		})
		if err != nil {
			return keepOld(fmt.Errorf("%s: %w", source, err))
		}
		if fr.notModified {
			if !hadOld {
				return keepOld(fmt.Errorf("%s: %w: 304 Not Modified without a previous copy", source, ErrMirror))
			}
			m := oldMeta
			m.CheckedAt = u.now
			r.Status, r.Meta = Unchanged, m
			return r, w.copySection(u.old.f, m)
		}
		if size, err = tmp.Seek(0, io.SeekEnd); err != nil {
			return r, err
		}
		f, v = tmp, fr.v
	} else {
		source = filepath.Join(u.opts.Source, eco, "all.zip")
		if abs, err := filepath.Abs(source); err == nil {
			source = abs
		}
		zf, err := os.Open(source)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return keepOld(fmt.Errorf("%s: %w", source, errNotFound))
			}
			return keepOld(err)
		}
		defer zf.Close()
		st, err := zf.Stat()
		if err != nil {
			return keepOld(err)
		}
		size, v, f = st.Size(), fileValidators(st), zf
		if size > u.opts.MaxDownload {
			return keepOld(fmt.Errorf("%s: %d bytes, limit %d", source, size, u.opts.MaxDownload))
		}
		if hadOld && !u.opts.Force && oldMeta.Source == source && oldMeta.LastModified == v.lastModified {
			m := oldMeta
			m.CheckedAt = u.now
			r.Status, r.Meta = Unchanged, m
			return r, w.copySection(u.old.f, m)
		}
	}
	secs, err := u.importZip(ctx, f, size, eco)
	if err != nil {
		for _, s := range secs {
			s.discard()
		}
		return keepOld(fmt.Errorf("%s: %w", source, err))
	}
	s := secs[eco]
	defer s.discard()
	m, err := s.finish()
	if err != nil {
		return r, err
	}
	m.Source, m.FetchedAt, m.CheckedAt, m.ETag, m.LastModified = source, u.now, u.now, v.etag, v.lastModified
	r.Status, r.Meta = Updated, m
	return r, w.addSection(s, m)
}

// file imports a single zip of OSV records: every base ecosystem its
// records name becomes a section (restricted to opts.Ecosystems if set).
func (u *updater) file(ctx context.Context, w *writer) ([]EcosystemResult, error) {
	source, err := filepath.Abs(u.opts.Source)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(source)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > u.opts.MaxDownload {
		return nil, fmt.Errorf("%s: %d bytes, limit %d", source, st.Size(), u.opts.MaxDownload)
	}
	secs, err := u.importZip(ctx, f, st.Size(), "")
	defer func() {
		for _, s := range secs {
			s.discard()
		}
	}()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	v := fileValidators(st)
	var out []EcosystemResult
	names := make([]string, 0, len(secs))
	for n := range secs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if len(u.opts.Ecosystems) > 0 && !slices.Contains(exportFolders(u.opts.Ecosystems), n) {
			continue
		}
		m, err := secs[n].finish()
		if err != nil {
			return nil, err
		}
		m.Source, m.FetchedAt, m.CheckedAt, m.LastModified = source, u.now, u.now, v.lastModified
		if err := w.addSection(secs[n], m); err != nil {
			return nil, err
		}
		out = append(out, EcosystemResult{Name: n, Status: Updated, Meta: m})
	}
	if len(out) == 0 {
		if u.loose.n > 0 {
			return nil, fmt.Errorf("%s: no advisories for the requested ecosystems (%d record(s) skipped, first: %s)",
				source, u.loose.n, strings.Join(u.loose.examples, "; "))
		}
		return nil, fmt.Errorf("%s: no advisories for the requested ecosystems", source)
	}
	return out, nil
}

// ErrZip reports an export zip that is corrupt or hostile.
var ErrZip = errors.New("bad export zip")

// importZip reads every *.json record of the zip in parallel. With eco set,
// only that ecosystem's section is built (the folder layout); with eco
// empty, one section per base ecosystem named by the records.
func (u *updater) importZip(ctx context.Context, f io.ReaderAt, size int64, eco string) (map[string]*section, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrZip, err)
	}
	if len(zr.File) > limits.OSVExportEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrZip, len(zr.File), limits.OSVExportEntries)
	}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if zf.UncompressedSize64 > 1<<20 && zf.CompressedSize64 > 0 && zf.UncompressedSize64/zf.CompressedSize64 > limits.OSVCompressionRatio {
			return nil, fmt.Errorf("%w: %s expands %d times (zip bomb?)", ErrZip, zf.Name, zf.UncompressedSize64/zf.CompressedSize64)
		}
	}
	if total > limits.OSVExportUncompressed {
		return nil, fmt.Errorf("%w: %d bytes uncompressed, limit %d (zip bomb?)", ErrZip, total, limits.OSVExportUncompressed)
	}
	var (
		mu   sync.Mutex
		secs = map[string]*section{}
		ids  = map[string]map[string]bool{}
	)
	get := func(name string) (*section, map[string]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := secs[name]; ok {
			return s, ids[name], nil
		}
		s, err := newSection(u.opts.Dir, name)
		if err != nil {
			return nil, nil, err
		}
		secs[name], ids[name] = s, map[string]bool{}
		return s, ids[name], nil
	}
	if eco != "" {
		if _, _, err := get(eco); err != nil {
			return secs, err
		}
	}
	jobs := make(chan *zip.File)
	var (
		firstErr  error
		errOnce   sync.Once
		processed atomic.Int64
		wg        sync.WaitGroup
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	nfiles := int64(len(zr.File))
	progressName := eco
	if progressName == "" {
		progressName = "records"
	}
	workers := runtime.GOMAXPROCS(0)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c compressor
			for zf := range jobs {
				if err := u.record(zf, eco, &c, get, &mu); err != nil {
					fail(err)
				}
				if n := processed.Add(1); n%500 == 0 || n == nfiles {
					u.progress(Progress{progressName, "import", n, nfiles})
				}
			}
		}()
	}
	for _, zf := range zr.File {
		if ctx.Err() != nil {
			break
		}
		jobs <- zf
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return secs, err
	}
	if firstErr != nil {
		return secs, firstErr
	}
	return secs, nil
}

// record imports one zip member. An invalid record is counted in the
// folder's section (eco set) or, for a single zip, in u.loose: its
// ecosystem is unknown, so it must not invent a section. Only I/O errors on
// the index are returned.
func (u *updater) record(zf *zip.File, eco string, c *compressor, get func(string) (*section, map[string]bool, error), mu *sync.Mutex) error {
	if zf.FileInfo().IsDir() || !strings.HasSuffix(zf.Name, ".json") {
		return nil
	}
	skip := func(reason string) error {
		if eco == "" {
			u.loose.add(zf.Name + ": " + reason)
			return nil
		}
		s, _, err := get(eco)
		if err != nil {
			return err
		}
		s.skip(zf.Name + ": " + reason)
		return nil
	}
	if zf.UncompressedSize64 > limits.OSVRecordBytes {
		return skip(fmt.Sprintf("%d bytes, limit %d", zf.UncompressedSize64, limits.OSVRecordBytes))
	}
	rc, err := zf.Open()
	if err != nil {
		return skip(err.Error())
	}
	b, err := io.ReadAll(io.LimitReader(rc, limits.OSVRecordBytes+1))
	rc.Close()
	if err != nil {
		return skip(err.Error())
	}
	e, err := osv.Parse(b)
	if err != nil {
		return skip(err.Error())
	}
	var targets []string
	if eco != "" {
		targets = []string{eco}
	} else {
		for _, a := range e.Affected {
			if b := osv.BaseEcosystem(a.Package.Ecosystem); b != "" && !slices.Contains(targets, b) {
				targets = append(targets, b)
			}
		}
		if len(targets) == 0 {
			return skip(e.ID + " names no package ecosystem")
		}
	}
	z := c.compress(b)
	for _, t := range targets {
		s, seen, err := get(t)
		if err != nil {
			return err
		}
		mu.Lock()
		dup := seen[e.ID]
		seen[e.ID] = true
		mu.Unlock()
		if dup {
			s.skip(zf.Name + ": duplicate id " + e.ID)
			continue
		}
		if err := s.add(e, z); err != nil {
			return err
		}
	}
	return nil
}
