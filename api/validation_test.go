package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/api"
)

// TestTextAndNumbersAtTheEdge sends the values that once reached a
// database and failed there (a NUL, which PostgreSQL refuses in text; a
// cursor beyond int4; a search pattern SQLite finds too complex) and checks
// the answers are the documented 4xx on both databases, naming the field.
func TestTextAndNumbersAtTheEdge(t *testing.T) {
	onBothDatabases(t, api.Config{}, func(t *testing.T, ts *testServer) {
		alice, bob := ts.signup("alice"), ts.signup("bob")
		nulMsg := func(field string) string {
			return `{"` + field + `":["Null characters are not allowed."]}`
		}
		tests := []struct {
			name         string
			method, path string
			token        string
			body         any
			status       int
			want         string // the exact body, "" for any
		}{
			{"signup display_name", "POST", "/api/auth/signup/", "",
				object{"username": "dora", "email": "dora@example.com", "password": "long-enough-1", "display_name": "a\x00b"}, 400, nulMsg("display_name")},
			{"signup username", "POST", "/api/auth/signup/", "",
				object{"username": "do\x00ra", "email": "dora@example.com", "password": "long-enough-1"}, 400, nulMsg("username")},
			{"login email", "POST", "/api/auth/login/", "", object{"email": "a\x00b@example.com", "password": "x"}, 400, nulMsg("email")},
			{"login password", "POST", "/api/auth/login/", "", object{"email": alice.Email, "password": "a\x00"}, 400, nulMsg("password")},
			{"refresh token", "POST", "/api/auth/token/refresh/", "", object{"refresh": "\x00"}, 400, nulMsg("refresh")},
			{"profile bio", "PATCH", "/api/auth/profile/", alice.Access, object{"bio": "a\x00b"}, 400, nulMsg("bio")},
			{"profile location", "PATCH", "/api/auth/profile/", alice.Access, object{"location": "\x00"}, 400, nulMsg("location")},
			{"profile first_name", "PUT", "/api/auth/profile/", alice.Access, object{"first_name": "\x00"}, 400, nulMsg("first_name")},
			{"message content", "POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "hi\x00"}, 400, nulMsg("content")},
			{"message invalid UTF-8", "POST", "/api/messages/", alice.Access,
				[]byte(`{"receiver_id": 2, "content": "hi` + "\xff" + `"}`), 400, `{"content":["Invalid UTF-8."]}`},
			{"message lone surrogate", "POST", "/api/messages/", alice.Access,
				`{"receiver_id": 2, "content": "hi \ud800 there"}`, 400, `{"content":["Invalid Unicode: a lone surrogate."]}`},
			{"message reversed surrogates", "POST", "/api/messages/", alice.Access,
				`{"receiver_id": 2, "content": "\udc00\ud800"}`, 400, `{"content":["Invalid Unicode: a lone surrogate."]}`},
			{"public profile NUL", "GET", "/api/auth/users/%00/", "", nil, 404, ""},
			{"public profile invalid UTF-8", "GET", "/api/auth/users/%FF/", "", nil, 404, ""},
			{"public profile too long", "GET", "/api/auth/users/" + strings.Repeat("u", 100<<10) + "/", "", nil, 404, ""},
			{"messages cursor beyond int4", "GET", "/api/messages/?before=999999999999", alice.Access, nil, 200, ""},
			{"messages cursor at int64 max", "GET", "/api/messages/?before=9223372036854775807", alice.Access, nil, 200, ""},
			{"messages cursor beyond int64", "GET", "/api/messages/?before=9223372036854775808", alice.Access, nil, 400, ""},
			{"conversation cursor beyond int4", "GET", "/api/messages/conversation/" + id(bob.ID) + "/?before=999999999999", alice.Access, nil, 200, ""},
			{"friends cursor beyond int4", "GET", "/api/friends/?before=999999999999", alice.Access, nil, 200, ""},
			{"requests cursor beyond int4", "GET", "/api/friends/requests/?before=999999999999", alice.Access, nil, 200, ""},
			{"notifications since beyond int4", "GET", "/api/notifications/?since=999999999999", alice.Access, nil, 200, ""},
			{"friend request id beyond int4", "POST", "/api/friends/request/999999999999/", alice.Access, nil, 404, ""},
			{"search of 100 KB", "GET", "/api/auth/search/?q=" + strings.Repeat("%25_", 50<<10), alice.Access, nil, 400,
				`{"q":["Ensure this value has at most 150 characters."]}`},
			{"search with NUL", "GET", "/api/auth/search/?q=al%00", alice.Access, nil, 400, `{"q":["Null characters are not allowed."]}`},
			{"search invalid UTF-8", "GET", "/api/auth/search/?q=al%FF", alice.Access, nil, 400, `{"q":["Invalid UTF-8."]}`},
			{"story cursor NUL", "GET", "/api/stories/?before=%00", alice.Access, nil, 400, `{"before":["Null characters are not allowed."]}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := ts.do(tt.method, tt.path, tt.token, tt.body)
				got := strings.TrimSpace(string(body))
				if status != tt.status || (tt.want != "" && got != tt.want) {
					t.Errorf("%s %.80s = %d %.300s, want %d %s", tt.method, tt.path, status, got, tt.status, tt.want)
				}
				if status >= 400 && !strings.HasPrefix(got, "{") {
					t.Errorf("error body %.100q is not a JSON object", got)
				}
			})
		}
		// The search answers the longest query it allows.
		if status, body := ts.do("GET", "/api/auth/search/?q="+strings.Repeat("%25", 150), alice.Access, nil); status != http.StatusOK {
			t.Errorf("search of 150 characters = %d %.200s, want 200", status, body)
		}
		// Nothing of the hostile values reached the log in full.
		for line := range strings.SplitSeq(ts.logs.String(), "\n") {
			if len(line) > 2000 {
				t.Errorf("log line of %d bytes: %.300s", len(line), line)
			}
		}
	})
}
