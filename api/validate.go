package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// The one validation at the edge: every text a request carries, in its
// body, path or query, is checked here before a handler sees it, so no
// database is ever handed a value it cannot store or compare (PostgreSQL
// refuses NUL in text; SQLite refuses LIKE patterns past 50,000 bytes).
// Numbers are parsed by pathID, queryPage and queryLimit, which refuse
// anything outside int64 and the id range.

// Messages of the text checks, as Django's validators word them.
const (
	msgNullCharacters = "Null characters are not allowed."
	msgInvalidUTF8    = "Invalid UTF-8."
	msgLoneSurrogate  = "Invalid Unicode: a lone surrogate."
)

// maxTextParam is the longest free-text path or query value, in
// characters: a search query (?q=) or a username in a path. It is the
// longest username there can be, so no search for a user is refused.
const maxTextParam = 150

// textProblem says what is wrong with raw, a JSON value already found to be
// well-formed, or "" when nothing is: invalid UTF-8 anywhere, a NUL or a
// lone surrogate (an escape encoding/json would silently turn into U+FFFD)
// in any string of it.
func textProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return msgInvalidUTF8
	}
	// In well-formed JSON a backslash only occurs in a string, starting an
	// escape; only \u escapes need a look.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw[i+1:])
		if !ok {
			continue // not well-formed; the decoder says so
		}
		i += 4
		switch {
		case r == 0:
			return msgNullCharacters
		case r >= 0xDC00 && r <= 0xDFFF:
			return msgLoneSurrogate
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate must be followed by an escaped low one.
			if i+2 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return msgLoneSurrogate
			}
			lo, ok := hex4(raw[i+3:])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return msgLoneSurrogate
			}
			i += 6
		}
	}
	return ""
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// stringProblem is textProblem for a decoded path or query value.
func stringProblem(s string) string {
	if !utf8.ValidString(s) {
		return msgInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return msgNullCharacters
	}
	return ""
}

// checkParams checks rt's path and query values. A path value that cannot
// name anything (bad text, a username too long to exist) is 404, as for an
// unknown id; a bad query value is 400 naming the parameter.
func checkParams(rt *route, r *http.Request) error {
	var query map[string][]string
	for _, p := range rt.params {
		if !p.query {
			v := r.PathValue(p.name)
			if stringProblem(v) != "" || (p.kind == kindText && utf8.RuneCountInString(v) > maxTextParam) {
				return numeneon.Errorf(numeneon.ENOTFOUND, "Not found.")
			}
			continue
		}
		if query == nil {
			query = r.URL.Query()
		}
		for _, v := range query[p.name] {
			if msg := stringProblem(v); msg != "" {
				return numeneon.FieldError(p.name, msg)
			}
			if p.kind == kindText && utf8.RuneCountInString(v) > maxTextParam {
				return numeneon.FieldError(p.name, fmt.Sprintf("Ensure this value has at most %d characters.", maxTextParam))
			}
		}
	}
	return nil
}

// maxLoggedValue caps a value a client sent (a path) in a log line, and
// maxLoggedError an error's text, which may quote such a value: a request
// must not be able to write 100 KB into the operator's logs.
const (
	maxLoggedValue = 200
	maxLoggedError = 512
)

// capped returns s cut to at most max bytes on a character boundary, saying
// how long it was.
func capped(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
