package api

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// CORS answers, as API.md states them: tokens travel in headers, so no
// credentials; the client sends Authorization and Content-Type.
const (
	corsAllowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders = "Authorization, Content-Type"
	corsMaxAge       = "86400"
)

// developmentOrigins are allowed unless Config.Production: the client's dev
// server runs on localhost:5173 against the API on localhost:8000.
var developmentOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}

// originPolicy is the Origin allow-list shared by CORS and the WebSocket
// handshake.
type originPolicy struct {
	any      bool
	patterns []*regexp.Regexp
}

// newOriginPolicy compiles the ALLOWED_ORIGINS entries (see
// Config.AllowedOrigins), plus the development defaults when dev is set.
func newOriginPolicy(entries []string, dev bool) (*originPolicy, error) {
	p := &originPolicy{}
	if dev {
		entries = append(entries[:len(entries):len(entries)], developmentOrigins...)
	}
	for _, e := range entries {
		e = strings.TrimSuffix(strings.TrimSpace(e), "/")
		if e == "" {
			continue
		}
		if e == "*" {
			p.any = true
			continue
		}
		re, err := compileOriginPattern(e)
		if err != nil {
			return nil, err
		}
		p.patterns = append(p.patterns, re)
	}
	return p, nil
}

// compileOriginPattern turns "scheme://host[:port]" with "*" wildcards into
// an anchored expression: "*" in the host matches within one DNS label (it
// never crosses a dot, so "https://*.example.com" cannot be satisfied by
// "https://evil.com/.example.com" or "https://a.b.example.com"), and ":*"
// matches any port or none.
func compileOriginPattern(entry string) (*regexp.Regexp, error) {
	scheme, rest, ok := strings.Cut(entry, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@") {
		return nil, fmt.Errorf("allowed origin %q: want scheme://host[:port], as a browser sends it", entry)
	}
	host, port, hasPort := strings.Cut(strings.ToLower(rest), ":")
	var b strings.Builder
	b.WriteString("^" + scheme + "://")
	b.WriteString(strings.ReplaceAll(regexp.QuoteMeta(host), `\*`, `[a-z0-9-]*`))
	switch {
	case !hasPort:
	case port == "*":
		b.WriteString(`(:[0-9]+)?`)
	default:
		if strings.Trim(port, "0123456789") != "" {
			return nil, fmt.Errorf("allowed origin %q: bad port", entry)
		}
		b.WriteString(":" + port)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), nil
}

// allows reports whether origin may call the API from a browser on behalf of
// request r.
func (p *originPolicy) allows(origin string, r *http.Request) bool {
	if origin == "" {
		// Not a browser (or a same-origin GET): nothing for CORS to protect.
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true // the API's own pages, such as the embedded UI
	}
	if p.any {
		return true
	}
	o := strings.ToLower(origin)
	for _, re := range p.patterns {
		if re.MatchString(o) {
			return true
		}
	}
	return false
}

// CheckOrigin reports whether r's Origin is allowed: the same list as CORS,
// the API's own host always, and requests without Origin. The WebSocket
// endpoint refuses a handshake when it returns false.
func (s *Server) CheckOrigin(r *http.Request) bool {
	return s.edge.CheckOrigin(r)
}

// applyCORS sets the CORS headers for an allowed origin and answers
// preflight requests itself. It reports whether the request goes on to its
// route. A refused origin gets no CORS headers, which is how a browser learns
// it must not read the answer; a refused preflight answers 403.
func (s *Server) applyCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" || !s.CheckOrigin(r) {
		if preflight {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "Origin not allowed."})
			return false
		}
		return true
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	if !preflight {
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		return true
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return false
}
