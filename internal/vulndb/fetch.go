package vulndb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// DefaultSource is the public OSV export
// (https://google.github.io/osv.dev/data/#data-dumps).
const DefaultSource = "https://osv-vulnerabilities.storage.googleapis.com"

// ErrMirror reports a mirror that answered with something other than an
// OSV export: a wrong content type, a body over the size limit, too many
// redirects, a stalled transfer or an unexpected status.
var ErrMirror = errors.New("bad mirror response")

// errNotFound reports an ecosystem the source does not offer.
var errNotFound = errors.New("not offered by the source (404)")

// zipTypes are the content types an all.zip may be served with.
var zipTypes = map[string]bool{
	"application/zip":              true,
	"application/x-zip-compressed": true,
	"application/x-zip":            true,
	"application/octet-stream":     true,
	"binary/octet-stream":          true,
}

// NewHTTPClient returns the client Update uses when none is given: at most
// limits.HTTPRedirects redirects, a 30 s bound on connecting and on waiting
// for response headers. The whole transfer is bounded by the caller's
// context and by the idle timeout in Options.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	tr.TLSHandshakeTimeout = 30 * time.Second
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > limits.HTTPRedirects {
		return fmt.Errorf("%w: more than %d redirects (loop?)", ErrMirror, limits.HTTPRedirects)
	}
	if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: redirect from https to %s refused", ErrMirror, req.URL.Scheme)
	}
	return nil
}

type validators struct{ etag, lastModified string }

type fetchResult struct {
	notModified bool
	v           validators
}

// fetch downloads url into dst (bounded by max bytes), sending old's
// validators so that an unchanged file costs one round trip. It aborts when
// no byte arrives for idle.
func fetch(ctx context.Context, c *http.Client, url string, old validators, wantZip bool, max int64, idle time.Duration, dst io.Writer, progress func(done, total int64)) (fetchResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fetchResult{}, err
	}
	req.Header.Set("User-Agent", "hallmark (+https://github.com/hallmark-dev/hallmark)")
	if old.etag != "" {
		req.Header.Set("If-None-Match", old.etag)
	}
	if old.lastModified != "" {
		req.Header.Set("If-Modified-Since", old.lastModified)
	}
	// The idle watchdog also covers a server that never sends headers.
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(idle / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if time.Since(time.Unix(0, last.Load())) > idle {
					cancel(fmt.Errorf("%w: stalled, no data for %v", ErrMirror, idle))
					return
				}
			}
		}
	}()
	resp, err := c.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return fetchResult{}, cause
		}
		return fetchResult{}, err
	}
	defer resp.Body.Close()
	last.Store(time.Now().UnixNano())
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return fetchResult{notModified: true, v: old}, nil
	case http.StatusNotFound:
		return fetchResult{}, errNotFound
	default:
		return fetchResult{}, fmt.Errorf("%w: HTTP %s", ErrMirror, resp.Status)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if wantZip && !zipTypes[ct] {
		return fetchResult{}, fmt.Errorf("%w: content type %q, want application/zip", ErrMirror, resp.Header.Get("Content-Type"))
	}
	if !wantZip && ct != "text/plain" && ct != "application/octet-stream" && ct != "" {
		return fetchResult{}, fmt.Errorf("%w: content type %q, want text/plain", ErrMirror, resp.Header.Get("Content-Type"))
	}
	if resp.ContentLength > max {
		return fetchResult{}, fmt.Errorf("%w: %d bytes announced, limit %d", ErrMirror, resp.ContentLength, max)
	}
	body := io.LimitReader(resp.Body, max+1)
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			last.Store(time.Now().UnixNano())
			if _, err := dst.Write(buf[:k]); err != nil {
				return fetchResult{}, fmt.Errorf("save download: %w", err)
			}
			n += int64(k)
			if n > max {
				return fetchResult{}, fmt.Errorf("%w: body over the limit of %d bytes", ErrMirror, max)
			}
			if progress != nil {
				progress(n, resp.ContentLength)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return fetchResult{}, cause
			}
			return fetchResult{}, fmt.Errorf("download: %w", rerr)
		}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fetchResult{}, fmt.Errorf("%w: truncated, %d of %d bytes", ErrMirror, n, resp.ContentLength)
	}
	return fetchResult{v: validators{resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")}}, nil
}

// fileValidators stands in for HTTP validators for a local file.
func fileValidators(st os.FileInfo) validators {
	return validators{lastModified: fmt.Sprintf("%s size=%d", st.ModTime().UTC().Format(time.RFC3339Nano), st.Size())}
}

// parseEcosystems reads an ecosystems.txt: one name per line.
func parseEcosystems(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.ContainsAny(l, "/\\") || strings.Contains(l, "..") {
			continue
		}
		out = append(out, l)
	}
	return out
}
