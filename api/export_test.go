package api

import "reflect"

// LimiterKeys returns how many clients rate limit class remembers.
func (s *Server) LimiterKeys(class string) int {
	if k := s.limits.classes[class]; k != nil {
		return k.len()
	}
	return 0
}

// SignInLog is the bounded set of known sign-ins, for its own tests.
type SignInLog = signInLog

func NewSignInLog(max int) *SignInLog    { return newSignInLog(max) }
func (l *signInLog) Add(key string)      { l.add(key) }
func (l *signInLog) Has(key string) bool { return l.has(key) }
func (l *signInLog) Len() int            { return l.len() }

// Route is a row of the route table, as the input tests see it.
type Route struct {
	Method  string
	Pattern string // with its trailing slash, as API.md writes it
	Exact   bool   // registered as written, without the slash variants
	Authed  bool
	Limit   string
	// Body is the request body's struct type, nil for none; its fields'
	// json tags are the body's fields.
	Body   reflect.Type
	Params []Param
}

// Param is a path ({Name} in Pattern) or query parameter of a Route.
type Param struct {
	Name  string
	Query bool
	Kind  string // id, count, limit, text or uuid
}

// Routes returns the whole route table, served or not.
func Routes() []Route {
	out := make([]Route, 0, len(routeTable))
	for _, rt := range routeTable {
		r := Route{Method: rt.method, Pattern: rt.pattern, Exact: rt.exact, Authed: rt.authed, Limit: rt.limit}
		if rt.body != nil {
			r.Body = reflect.TypeOf(rt.body).Elem()
		}
		for _, p := range rt.params {
			r.Params = append(r.Params, Param{Name: p.name, Query: p.query, Kind: p.kind.String()})
		}
		out = append(out, r)
	}
	return out
}
