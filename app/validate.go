package app

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// Limits of the original schema (Django's auth_user and the Profile model)
// and of API.md, so data written here fits back into the original database.
const (
	maxUsernameLen = 150
	maxNameLen     = 150
	maxEmailLen    = 254
	// maxPasswordLen stops a megabyte "password" from being hashed; no
	// human password is near it.
	maxPasswordLen = 1024
	maxBioLen      = 500
	maxLocationLen = 100
	maxWebsiteLen  = 200
	maxAvatarLen   = 2048
	maxMessageLen  = 5000
)

// usernameRe is Django's default username validator (ASCII letters, digits
// and @ . + - _).
var usernameRe = regexp.MustCompile(`^[A-Za-z0-9_.@+-]+$`)

// fieldErrors collects per-field validation messages so a client learns about
// every bad field at once, as DRF serializers report them.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) { fe[field] = append(fe[field], msg) }

// err returns nil when nothing was added, else one EINVALID error naming the
// first field in Message and every field in Fields.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	var first string
	for f := range fe {
		if first == "" || f < first {
			first = f
		}
	}
	return &numeneon.Error{Code: numeneon.EINVALID, Message: first + ": " + fe[first][0], Fields: fe}
}

func validUsername(s string) bool {
	return utf8.RuneCountInString(s) <= maxUsernameLen && usernameRe.MatchString(s)
}

// validEmail accepts a bare address with a dotted domain; net/mail alone
// would accept display names ("Bob <bob@x>") and dotless hosts.
func validEmail(s string) bool {
	if len(s) > maxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// validHTTPURL accepts absolute http and https URLs with a host, the only
// ones a browser can load as a link or an image without surprises
// (javascript: and data: URLs are refused).
func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// tooLong counts characters, not bytes, as the original's max_length did.
func tooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }
