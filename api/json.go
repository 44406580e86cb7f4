package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// maxBodyBytes bounds every request body. The largest legitimate body is a
// 5000-character message or a profile edit, a few tens of KiB at most.
const maxBodyBytes = 1 << 20

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug in a shape type gets here; say so rather than send
		// half a body.
		http.Error(w, `{"error":"Internal server error."}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeJSON reads the body into v, a pointer to a struct, strictly: one
// JSON object, each known field of the right type, nothing after it. An empty
// body decodes as {} so that missing fields are reported as missing. Unknown
// fields are ignored, because the existing client sends some the original
// ignored. Every failure is EINVALID (ETOOLARGE over the body limit) with a
// message that names the field and never echoes the input.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return numeneon.Errorf(numeneon.ETOOLARGE, "Request body too large (limit %d bytes).", tooLarge.Limit)
	} else if err != nil {
		return numeneon.Errorf(numeneon.EINVALID, "Could not read the request body.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return numeneon.Errorf(numeneon.EINVALID, "Request body must be a JSON object.")
		}
		return numeneon.Errorf(numeneon.EINVALID, "JSON parse error - malformed JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return numeneon.Errorf(numeneon.EINVALID, "JSON parse error - extra data after the JSON object.")
	}
	if fields == nil {
		return numeneon.Errorf(numeneon.EINVALID, "Request body must be a JSON object.")
	}
	// Decoding field by field, rather than the whole struct at once, is what
	// lets the error name the field whose value has the wrong type, or
	// text no database should store (see validate.go).
	rv := reflect.ValueOf(v).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		raw, ok := fields[name]
		if name == "" || name == "-" || !ok {
			continue
		}
		if msg := textProblem(raw); msg != "" {
			return numeneon.FieldError(name, msg)
		}
		if err := json.Unmarshal(raw, rv.Field(i).Addr().Interface()); err != nil {
			return numeneon.Errorf(numeneon.EINVALID, "Invalid %s: %s", name, describeFieldError(err, rt.Field(i).Type))
		}
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD and store
	// a text the client never sent; JSON is UTF-8 (RFC 8259), so refuse it
	// anywhere in the body, not only in the fields read.
	if !utf8.Valid(body) {
		return numeneon.Errorf(numeneon.EINVALID, "Request body must be UTF-8 encoded JSON.")
	}
	return nil
}

// describeFieldError says what a field should have held.
func describeFieldError(err error, t reflect.Type) string {
	var fieldErr *fieldTypeError
	if errors.As(err, &fieldErr) {
		return fieldErr.msg
	}
	switch t.Kind() {
	case reflect.String:
		return "expected a string."
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a valid integer is required."
	case reflect.Bool:
		return "expected a boolean."
	case reflect.Slice:
		return "expected a list."
	}
	return "wrong type."
}

// fieldTypeError is returned by the field types below; it names the field
// once the decoder tells us which one it was.
type fieldTypeError struct{ msg string }

func (e *fieldTypeError) Error() string { return e.msg }

// flexID is an id field that accepts a JSON number or a string of digits,
// as DRF's IntegerField did: the client sometimes sends ids taken from a URL,
// which are strings. Anything else ("abc", 1.5, true) is refused.
type flexID struct {
	Set   bool
	Value int64
}

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return &fieldTypeError{"a valid integer is required."}
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &fieldTypeError{"a valid integer is required."}
	}
	f.Set, f.Value = true, n
	return nil
}

// optString is a string field that tells "absent" from "null" from a value:
// PATCH needs absent to mean "unchanged".
type optString struct {
	Set   bool
	Null  bool
	Value string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	if err := json.Unmarshal(b, &o.Value); err != nil {
		return &fieldTypeError{"expected a string or null."}
	}
	return nil
}

// ptr returns the PATCH value: nil when the field was absent, "" for null.
func (o optString) ptr() *string {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

// pathID reads a positive integer path value; anything else is ENOTFOUND,
// as no object can have that id.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, numeneon.Errorf(numeneon.ENOTFOUND, "Not found.")
	}
	return id, nil
}

// queryPage reads ?limit=&before= into a page. The default limit is
// defaultLimit, the most maxLimit; a limit or cursor that is not a positive
// integer is EINVALID.
func queryPage(r *http.Request) (numeneon.Page, error) {
	limit, err := queryLimit(r)
	if err != nil {
		return numeneon.Page{}, err
	}
	page := numeneon.Page{Limit: limit}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return numeneon.Page{}, numeneon.FieldError("before", "A valid positive integer is required.")
		}
		page.Before = n
	}
	return page, nil
}

const (
	defaultLimit = 100
	maxLimit     = 500
)

func queryLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > maxLimit {
		return 0, numeneon.FieldError("limit", fmt.Sprintf("Must be an integer between 1 and %d.", maxLimit))
	}
	return n, nil
}
