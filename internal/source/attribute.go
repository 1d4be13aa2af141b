package source

import (
	"context"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// imageMetadata are the files of an image its OS catalogers and the
// subject read besides the files catalogers claim: package databases and
// what they refer to (owned-file lists, copyright files), os-release.
var imageMetadata = []string{
	"etc/os-release", "usr/lib/os-release",
	"var/lib/dpkg/", "lib/apk/db/", "var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/",
}

// imageCompanions are files catalogers read beside the file they claim.
var imageCompanions = map[string]bool{"go.sum": true, "Cargo.toml": true, "composer.json": true, "package.json": true}

// wantedInImage reports whether a file of an image must be kept for the
// catalogers: claimed by one, package metadata, a copyright file of
// usr/share/doc, or a companion of a claimed file.
func wantedInImage(cats []catalog.Cataloger, name string, mode fs.FileMode) bool {
	if !mode.IsRegular() && mode.Type() != 0 {
		return false
	}
	for _, m := range imageMetadata {
		if name == m || strings.HasSuffix(m, "/") && strings.HasPrefix(name, m) {
			return true
		}
	}
	if strings.HasPrefix(name, "usr/share/doc/") && path.Base(name) == "copyright" {
		return true
	}
	if imageCompanions[path.Base(name)] {
		return true
	}
	for _, c := range cats {
		if mc, ok := c.(catalog.ModeClaimer); ok && !mc.MayClaim(name) {
			continue
		}
		if c.Claims(name, mode) {
			return true
		}
	}
	return false
}

// attributeLayers records on every package the layer that added it: the
// first layer of the last run of layers whose version of the package's
// file still lists it. A file written by one layer only gives that layer.
func attributeLayers(ctx context.Context, doc *sbom.Document, sq *squash, view *memFS, diffIDs []string, opts Options) {
	// Per file with several versions: which package ids each version has.
	present := map[string][]map[string]bool{}
	for i := range doc.Packages {
		p := &doc.Packages[i]
		if len(p.Locations) == 0 {
			continue
		}
		file := p.Locations[0].Path
		hist := liveHistory(sq.history[file])
		layer := -1
		switch {
		case len(hist) == 1:
			layer = hist[0].layer
		case len(hist) > 1:
			sets, ok := present[file]
			if !ok {
				sets = make([]map[string]bool, len(hist))
				for j, v := range hist {
					sets[j] = idsIn(ctx, view, file, v.data, opts)
				}
				present[file] = sets
			}
			layer = hist[len(hist)-1].layer
			for j := len(hist) - 1; j >= 0 && sets[j][p.ID]; j-- {
				layer = hist[j].layer
			}
		default:
			if e, ok := sq.entries[file]; ok {
				layer = e.layer
			}
		}
		if layer >= 0 && layer < len(diffIDs) {
			p.SetProperty(PropLayer, diffIDs[layer])
			p.SetProperty(PropLayerIndex, strconv.Itoa(layer))
		}
	}
}

// liveHistory drops deletion markers that the same layer's new version
// follows (a file replaced, not removed).
func liveHistory(h []version) []version {
	var out []version
	for i, v := range h {
		if v.deleted && i+1 < len(h) && h[i+1].layer == v.layer {
			continue
		}
		out = append(out, v)
	}
	// Only the versions since the last deletion make up the current file.
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].deleted {
			return out[i+1:]
		}
	}
	return out
}

// idsIn catalogs one version of a file (the rest of the view as it is)
// and returns the package ids it lists.
func idsIn(ctx context.Context, view *memFS, file string, data []byte, opts Options) map[string]bool {
	doc := catalogVersion(ctx, view, file, data, opts)
	ids := map[string]bool{}
	if doc != nil {
		for _, p := range doc.Packages {
			ids[p.ID] = true
		}
	}
	return ids
}

func catalogVersion(ctx context.Context, view *memFS, file string, data []byte, opts Options) *sbom.Document {
	old := view.nodes[file]
	mode := fs.FileMode(0o644)
	if old != nil {
		mode = old.mode
	}
	view.add(file, &memNode{mode: mode, data: data})
	defer func() {
		if old != nil {
			view.nodes[file] = old
		} else {
			delete(view.nodes, file)
		}
	}()
	doc, _, err := catalog.File(ctx, view, file, opts.Catalog)
	if err != nil {
		return nil
	}
	return doc
}

// addRemoved (--scope all-layers) adds the packages that some layer's
// version of a file listed but the squashed image no longer has, each with
// the layer that had it and the layer that removed it.
func addRemoved(ctx context.Context, doc *sbom.Document, sq *squash, view *memFS, diffIDs []string, opts Options) {
	have := map[string]bool{}
	for _, p := range doc.Packages {
		have[p.ID] = true
	}
	for file, hist := range sq.history {
		for j, v := range hist {
			if v.deleted {
				continue
			}
			removedIn := -1
			for _, w := range hist[j+1:] {
				removedIn = w.layer
				break
			}
			if removedIn < 0 {
				if _, live := sq.entries[file]; live {
					continue // the current version: already cataloged
				}
			}
			d := catalogVersion(ctx, view, file, v.data, opts)
			if d == nil {
				continue
			}
			for _, p := range d.Packages {
				if have[p.ID] {
					continue
				}
				have[p.ID] = true
				p.SetProperty(PropLayer, diffIDs[v.layer])
				p.SetProperty(PropLayerIndex, strconv.Itoa(v.layer))
				if removedIn >= 0 && removedIn < len(diffIDs) {
					p.SetProperty(PropRemovedIn, diffIDs[removedIn])
				}
				doc.Add(p)
			}
		}
	}
}
