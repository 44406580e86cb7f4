// Package web is the browser UI of NUMENEON: plain HTML, CSS and JavaScript
// modules embedded in the binary (nothing to build, nothing to install), and
// the HTTP handler that serves them with a Content-Security-Policy that
// forbids inline script and, through Trusted Types, every HTML-string sink.
//
// The UI is a client of the public API like any other: it signs in with
// bearer tokens and listens on /ws/notifications/. It routes with the URL
// fragment (#/messages/42), so the server only ever serves one page.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var embedded embed.FS

// AssetPrefix is the path under which the UI's files are served.
const AssetPrefix = "/assets/"

// ContentSecurityPolicy is sent with the page and every asset. Script only
// from this origin (no inline script, no eval); connections only to this
// origin (CSP 3's 'self' includes ws: and wss: of the same host); images
// and media from anywhere over http(s), because avatars and stories are
// URLs people paste; no plugins, frames or base-URL tricks. Trusted Types
// with no policy turn every HTML-string sink (innerHTML, insertAdjacentHTML,
// document.write) into an exception, so user text can only ever be rendered
// as text.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' https: http: data:; media-src https: http:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// asset is one embedded file with its validator.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the UI: the page (ServeIndex) and its files under
// AssetPrefix. It is safe for concurrent use.
type Handler struct {
	assets map[string]*asset // by path below static/, e.g. "js/main.js"
}

// NewHandler loads the embedded files. It panics if they are missing, which
// only a broken build can cause.
func NewHandler() *Handler {
	h := &Handler{assets: map[string]*asset{}}
	err := fs.WalkDir(embedded, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if path.Ext(p) == ".js" {
			// Some systems' MIME tables map .js to text/plain, which a
			// browser refuses for a module script.
			ctype = "text/javascript; charset=utf-8"
		}
		h.assets[strings.TrimPrefix(p, "static/")] = &asset{
			body:        body,
			contentType: ctype,
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil || h.assets["index.html"] == nil {
		panic(fmt.Sprintf("web: embedded UI files missing: %v", err))
	}
	return h
}

// ServeIndex writes the page.
func (h *Handler) ServeIndex(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, h.assets["index.html"])
}

// ServeHTTP serves a file below AssetPrefix, 404 for anything else.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, AssetPrefix)
	a := h.assets[name]
	if !ok || a == nil || name == "index.html" {
		// JSON, like every other error of the server.
		setSecurityHeaders(w.Header())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail":"No such file."}` + "\n"))
		return
	}
	h.serve(w, r, a)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, a *asset) {
	hdr := w.Header()
	setSecurityHeaders(hdr)
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	// Revalidate every time: a deploy changes the files under the same
	// names, and a 304 costs one small round trip.
	hdr.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func setSecurityHeaders(hdr http.Header) {
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// WantsHTML reports whether the request's Accept header asks for HTML more
// than for JSON: a browser navigating to "/" does; curl (*/*), uptime
// monitors and API clients (application/json) do not.
func WantsHTML(r *http.Request) bool {
	html, json := -1.0, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		fields := strings.Split(part, ";")
		typ := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, f := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "q="); ok {
				if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
					q = 0
				}
			}
		}
		switch typ {
		case "text/html":
			html = max(html, q)
		case "application/json":
			json = max(json, q)
		}
	}
	return html > 0 && html > json
}
