package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// Push uploads a release's SBOM and optional VEX to a hallmark server
// (hallmark push). It returns the server's JSON answer.
func Push(ctx context.Context, c *http.Client, base, token, product, version string, sbomDoc, vexDoc []byte) ([]byte, error) {
	return PushParts(ctx, c, base, token, product, version, Part{"sbom", sbomDoc}, Part{"vex", vexDoc})
}

// Part is one file of an upload: "sbom", "vex" or "manifest" (a hallmark
// release manifest). A part without data is left out.
type Part struct {
	Name string
	Data []byte
}

// PushParts sends a release's parts to a hallmark server (hallmark push,
// hallmark release --server).
func PushParts(ctx context.Context, c *http.Client, base, token, product, version string, parts ...Part) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range parts {
		if part.Data == nil {
			continue
		}
		w, err := mw.CreateFormFile(part.Name, part.Name+".json")
		if err != nil {
			return nil, err
		}
		w.Write(part.Data)
	}
	mw.Close()
	u := strings.TrimRight(base, "/") + "/api/v1/products/" + url.PathEscape(product) + "/releases/" + url.PathEscape(version)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("push: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}
