package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// The fuzz targets of the request edge. Their seeds are in
// testdata/fuzz/<target>/; run one with, for example,
//
//	go test ./api -run '^$' -fuzz '^FuzzDecodeBody$' -fuzztime 30s

// bodyRoutes are the routes of the table that read a body.
func bodyRoutes() []route {
	var out []route
	for _, rt := range routeTable {
		if rt.body != nil {
			out = append(out, rt)
		}
	}
	return out
}

// FuzzDecodeBody decodes any bytes as the body of every route that reads
// one. It must never panic; it either refuses the body as invalid (or too
// large) or fills a struct whose every text is valid UTF-8 without NUL.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"receiver_id": 2, "content": "hi"}`))
	f.Add([]byte(`{"content": "a\u0000b"}`))
	f.Add([]byte(`{"content": "\ud800"}`))
	f.Add([]byte(`{"bio": null, "website": "https://example.com"}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(``))
	routes := bodyRoutes()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range routes {
			v := reflect.New(reflect.TypeOf(rt.body).Elem())
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBodyBytes)
			err := decodeJSON(r, v.Interface())
			if err != nil {
				if code := numeneon.ErrorCode(err); code != numeneon.EINVALID && code != numeneon.ETOOLARGE {
					t.Fatalf("%s %s: error %v has code %q", rt.method, rt.pattern, err, code)
				}
				continue
			}
			checkDecodedText(t, rt.pattern, v.Elem())
		}
	})
}

// checkDecodedText fails on a string in v that no database should store.
func checkDecodedText(t *testing.T, where string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("%s: decoded text %q", where, s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkDecodedText(t, where, v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkDecodedText(t, where, v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkDecodedText(t, where, v.Elem())
		}
	}
}

// FuzzTextProblem checks textProblem against encoding/json on any JSON
// string: what it lets through decodes to valid UTF-8 without NUL, and
// without a U+FFFD the client did not send (the trace of a lone surrogate).
func FuzzTextProblem(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\u0000b"`, `"\ud800"`, `"\ud83d\ude00"`, `"\udc00\ud800"`,
		`"\\ud800"`, `"\ufffd"`, `"é"`, "\"\xff\"", `"\ud800\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		if textProblem(raw) != "" {
			return
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("textProblem(%q) let %q through", raw, s)
		}
		sent := bytes.Contains(raw, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
		if strings.ContainsRune(s, utf8.RuneError) && !sent {
			t.Fatalf("textProblem(%q) let a replaced character through: %q", raw, s)
		}
	})
}

// FuzzParams runs the path and query checks and parsers of every route with
// parameters on any path value and query string: no panic, only 400 or 404
// errors, and values that pass are what the handlers may take.
func FuzzParams(f *testing.F) {
	f.Add("1", "limit=10&before=5")
	f.Add("%00", "q=%00")
	f.Add("9223372036854775808", "before=999999999999&since=-1")
	f.Add("bob", "q="+strings.Repeat("%25_", 100))
	f.Add("\xff", "limit=007&user_id=1e309")
	f.Fuzz(func(t *testing.T, pathValue, rawQuery string) {
		for _, rt := range routeTable {
			if len(rt.params) == 0 {
				continue
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.URL.RawQuery = rawQuery
			for _, p := range rt.params {
				if !p.query {
					r.SetPathValue(p.name, pathValue)
				}
			}
			err := checkParams(&rt, r)
			if code := numeneon.ErrorCode(err); err != nil && code != numeneon.EINVALID && code != numeneon.ENOTFOUND {
				t.Fatalf("%s: checkParams error %v has code %q", rt.pattern, err, code)
			}
			if err != nil {
				continue
			}
			for _, p := range rt.params {
				switch {
				case !p.query && p.kind == kindID:
					if id, err := pathID(r, p.name); err == nil && id <= 0 {
						t.Fatalf("%s: pathID(%q) = %d", rt.pattern, pathValue, id)
					}
				case !p.query:
					if v := r.PathValue(p.name); stringProblem(v) != "" {
						t.Fatalf("%s: path value %q passed", rt.pattern, v)
					}
				default:
					for _, v := range r.URL.Query()[p.name] {
						if stringProblem(v) != "" || (p.kind == kindText && utf8.RuneCountInString(v) > maxTextParam) {
							t.Fatalf("%s: query %s=%q passed", rt.pattern, p.name, v)
						}
					}
				}
			}
			if page, err := queryPage(r); err == nil {
				if page.Limit < 1 || page.Limit > maxLimit || page.Before < 0 {
					t.Fatalf("queryPage(%q) = %+v", rawQuery, page)
				}
			} else if numeneon.ErrorCode(err) != numeneon.EINVALID {
				t.Fatalf("queryPage(%q): %v", rawQuery, err)
			}
		}
	})
}
