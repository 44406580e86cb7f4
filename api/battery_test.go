package api_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/deezer"
	"github.com/numeneon/numeneon/internal/fakedeezer"
)

// TestHostileInputBattery walks the route table and sends every body
// field, path parameter and query parameter of every route a set of hostile
// values, the others holding valid ones, with rate limits off (a 429 must
// not hide a bug). Every answer must be below 500; a 4xx must be a JSON
// object and must leave every table of the store as it was. A route added
// to the table is covered without being named here.
func TestHostileInputBattery(t *testing.T) {
	if testing.Short() {
		t.Skip("the battery sends thousands of requests")
	}
	onBothDatabases(t, api.Config{}, testBattery)
}

// hostileJSON are the values every body field gets, as raw JSON.
var hostileJSON = []struct{ name, raw string }{
	{"NUL", `"a\u0000b"`},
	{"invalid UTF-8", "\"a\xff\xfeb\""},
	{"lone surrogate", `"\ud800"`},
	{"low surrogate first", `"\udc00\ud800"`},
	{"control characters", `"\u0001\u001f\u007f\b\f"`},
	{"1 MB string", `"` + strings.Repeat("x", 1_000_000) + `"`},
	{"empty", `""`},
	{"whitespace only", `"  \t\n "`},
	{"array", `["a", 1]`},
	{"empty array", `[]`},
	{"object", `{"a": 1}`},
	{"number", `7`},
	{"fraction", `1.5`},
	{"bool", `true`},
	{"null", `null`},
	{"2^31", `2147483648`},
	{"2^63", `9223372036854775808`},
	{"-1", `-1`},
	{"1e309", `1e309`},
	{"2^31 as text", `"2147483648"`},
	{"2^63 as text", `"9223372036854775808"`},
	{"-1 as text", `"-1"`},
	{"leading zeros", `"007"`},
	{"leading zeros as number", `007`}, // not JSON at all
}

// hostileText are the values every path and query parameter gets, before
// escaping. A megabyte in a URL is refused by net/http (431) before the
// server sees it, so URLs get 100 KB.
var hostileText = []struct{ name, value string }{
	{"NUL", "a\x00b"},
	{"invalid UTF-8", "a\xff\xfeb"},
	{"encoded surrogate", "\xed\xa0\x80"},
	{"control characters", "\x01\x1f\x7f"},
	{"100 KB", strings.Repeat("x", 100_000)},
	{"100 KB of LIKE wildcards", strings.Repeat("%_", 50_000)},
	{"empty", ""},
	{"whitespace only", "  \t "},
	{"array", "[1]"},
	{"object", `{"a":1}`},
	{"bool", "true"},
	{"null", "null"},
	{"2^31", "2147483648"},
	{"2^63", "9223372036854775808"},
	{"-1", "-1"},
	{"0", "0"},
	{"1e309", "1e309"},
	{"fraction", "1.5"},
	{"leading zeros", "007"},
	{"SQL", "1' OR '1'='1"},
}

func testBattery(t *testing.T, ts *testServer) {
	// The music search asks a catalogue: a local one speaking its protocol.
	fake := fakedeezer.Start(t, fakedeezer.Track{ID: 1, Title: "Song", Artist: "Artist", Duration: 200})
	ts.app.UseCatalogue(deezer.New(fake.URL, nil), app.MusicOptions{Timeout: 2 * time.Second})
	// Web Push on, towards a local push service.
	push, _ := ts.usePush()
	device := push.Subscribe(t)
	alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")
	// A friendship, a pending request to alice, a message, a story, a
	// post and a song: each route has something real to aim at.
	ts.befriend(alice, bob)
	ts.mustDo("POST", "/api/friends/request/"+id(alice.ID)+"/", carol.Access, nil, http.StatusCreated, nil)
	var reqs []object
	ts.mustDo("GET", "/api/friends/requests/", alice.Access, nil, http.StatusOK, &reqs)
	requestID := id(num(t, reqs[0]["id"]))
	ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": alice.ID, "content": "hi"}, http.StatusCreated, nil)
	storyID := ts.postStory(bob, "bob's")["id"].(string)
	post := ts.createPost(bob, object{"content": "bob's post"})
	postID := id(num(t, post["id"]))
	var page object
	ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, song("s1"), http.StatusCreated, &page)
	songID := firstSongID(t, ts, alice)

	// Valid values: by path or query parameter name, then by body field
	// name. Fields not named here get "hello" (a string) and are left out
	// (anything else), which is valid for every optional field.
	pathValues := map[string]string{
		"user_id": id(bob.ID), "request_id": requestID, "story_id": storyID, "post_id": postID,
		"song_id": songID, "username": "bob",
	}
	queryValues := map[string]string{"user_id": id(bob.ID)}
	kindValues := map[string]string{"id": id(bob.ID), "count": "1", "limit": "10", "text": "bob", "uuid": storyID}
	const mediaURL = "https://cdn.example.com/a.jpg"
	fieldValues := map[string]any{
		"username": "newcomer", "email": "newcomer@example.com", "password": "long-enough-1",
		"display_name": "New Comer", "refresh": "not-a-token", "old_password": "wrong-password-1",
		"new_password": "long-enough-2", "receiver_id": bob.ID, "content": "hi", "media_type": "image",
		"media_url": mediaURL, "website": mediaURL, "avatar": mediaURL, "preview_url": mediaURL,
		"album_art": mediaURL, "reaction_type": "heart", "up_to": 1, "action": "like",
		"duration_ms": 1000, "song_ids": []string{songID}, "type": "thought",
		"endpoint": device.Endpoint, "keys": object{"p256dh": device.P256dh, "auth": device.Auth},
	}
	// Login and the password change answer for the wrong credentials
	// only; a body that signs someone in or out would change the store.
	routeFields := map[string]map[string]any{
		"POST /api/auth/login/":        {"email": alice.Email, "password": "wrong-password-1"},
		"POST /api/auth/logout/":       {"all": false},
		"PATCH /api/mystudio/":         {"avatar": "neon-cat"},
		"PUT /api/mystudio/":           {"avatar": "neon-cat"},
		"POST /api/mystudio/playlist/": {"title": "t", "artist": "a", "external_id": "s2"},
	}

	db, err := sql.Open(ts.sqlDriver, ts.sqlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := newTableSum(t, db, ts.sqlDriver)
	// A control: the sums see a change a request makes.
	last := sum.of()
	ts.mustDo("PATCH", "/api/auth/profile/", carol.Access, object{"bio": "changed"}, http.StatusOK, nil)
	if sum.of() == last {
		t.Fatal("the table sums did not see a profile change")
	}
	last = sum.of()

	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	sent := 0
	send := func(rt api.Route, slot, value, path string, body []byte) {
		t.Helper()
		token := ""
		if rt.Authed {
			token = alice.Access
		}
		var b any
		if body != nil {
			// Each signup gets a name and email of its own, so that
			// every one reaches the store, not a "taken" answer.
			b = []byte(strings.ReplaceAll(string(body), "newcomer", fmt.Sprintf("newcomer%d", sent)))
		}
		status, answer := ts.do(rt.Method, path, token, b)
		sent++
		what := fmt.Sprintf("%s %s, %s = %s", rt.Method, rt.Pattern, slot, value)
		switch {
		case status >= 500:
			t.Errorf("%s: %d %.300s", what, status, answer)
		case status >= 400:
			var obj map[string]any
			if err := json.Unmarshal(answer, &obj); err != nil {
				t.Errorf("%s: %d with a body that is not a JSON object: %.200q", what, status, answer)
			}
			if now := sum.of(); now != last {
				t.Errorf("%s: %d %.200s, yet the store changed: %s", what, status, answer, sum.diff(last, now))
				last = now
			}
		default:
			last = sum.of()
		}
	}
	for _, rt := range api.Routes() {
		if rt.Pattern == "/ws/notifications/" || rt.Pattern == "/metrics" {
			continue // not served here: no socket hub nor gatherer
		}
		key := rt.Method + " " + rt.Pattern
		validPath := func(name, value string) string {
			return param.ReplaceAllStringFunc(rt.Pattern, func(m string) string {
				n := m[1 : len(m)-1]
				if n == name {
					return url.PathEscape(value)
				}
				v, ok := pathValues[n]
				if !ok {
					// A parameter not named above gets a value of its
					// kind, so a new route is covered as it lands.
					v = kindValues[kindOf(rt, n)]
				}
				return url.PathEscape(v)
			})
		}
		// The valid body, as raw JSON fields.
		var fields []string
		base := map[string]json.RawMessage{}
		if rt.Body != nil {
			for i := range rt.Body.NumField() {
				name, _, _ := strings.Cut(rt.Body.Field(i).Tag.Get("json"), ",")
				if name == "" || name == "-" {
					continue
				}
				fields = append(fields, name)
				v, ok := routeFields[key][name]
				if !ok {
					v, ok = fieldValues[name]
				}
				if !ok && isText(rt.Body.Field(i).Type) {
					v, ok = "hello", true
				}
				if ok {
					raw, _ := json.Marshal(v)
					base[name] = raw
				}
			}
		}
		bodyWith := func(name, raw string) []byte {
			if rt.Body == nil {
				return nil
			}
			var sb strings.Builder
			sb.WriteString("{")
			first := true
			names := make([]string, 0, len(base)+1)
			for n := range base {
				names = append(names, n)
			}
			if _, ok := base[name]; !ok && name != "" {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, n := range names {
				v := string(base[n])
				if n == name {
					v = raw
				}
				if !first {
					sb.WriteString(",")
				}
				first = false
				fmt.Fprintf(&sb, "%q:%s", n, v)
			}
			sb.WriteString("}")
			return []byte(sb.String())
		}
		validQuery := func(name, value string) string {
			q := url.Values{}
			for _, p := range rt.Params {
				if !p.Query {
					continue
				}
				if p.Name == name {
					q.Set(p.Name, value)
				} else if v, ok := queryValues[p.Name]; ok {
					q.Set(p.Name, v)
				}
			}
			if len(q) == 0 {
				return ""
			}
			return "?" + q.Encode()
		}

		for _, f := range fields {
			for _, h := range hostileJSON {
				send(rt, "field "+f, h.name, validPath("", "")+validQuery("", ""), bodyWith(f, h.raw))
			}
		}
		for _, p := range rt.Params {
			for _, h := range hostileText {
				if p.Query {
					send(rt, "query "+p.Name, h.name, validPath("", "")+validQuery(p.Name, h.value), bodyWith("", ""))
				} else {
					send(rt, "path "+p.Name, h.name, validPath(p.Name, h.value)+validQuery("", ""), bodyWith("", ""))
				}
			}
		}
	}
	t.Logf("%d hostile requests", sent)
}

// kindOf returns the kind of rt's parameter name.
func kindOf(rt api.Route, name string) string {
	for _, p := range rt.Params {
		if p.Name == name {
			return p.Kind
		}
	}
	return "id"
}

// isText reports whether a body field holds text.
func isText(t reflect.Type) bool {
	return t.Kind() == reflect.String || t.Name() == "optString"
}

// firstSongID returns the id of the first song of u's playlist.
func firstSongID(t *testing.T, ts *testServer, u *user) string {
	t.Helper()
	var page object
	ts.mustDo("GET", "/api/mystudio/profile/", u.Access, nil, http.StatusOK, &page)
	songs, _ := page["playlist"].([]any)
	if len(songs) == 0 {
		t.Fatalf("no song in %v", page)
	}
	return id(num(t, songs[0].(object)["id"]))
}

// tableSum hashes every table of a database, in one query.
type tableSum struct {
	t      *testing.T
	db     *sql.DB
	tables []string
	query  string
}

func newTableSum(t *testing.T, db *sql.DB, driver string) *tableSum {
	t.Helper()
	ts := &tableSum{t: t, db: db}
	list := `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY 1`
	if driver == "sqlite" {
		list = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY 1`
	}
	rows, err := db.Query(list)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		ts.tables = append(ts.tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(ts.tables) < 5 {
		t.Fatalf("tables = %v, want the whole schema", ts.tables)
	}
	var parts []string
	for _, name := range ts.tables {
		if driver == "sqlite" {
			cols := ts.columns(name)
			quoted := make([]string, len(cols))
			for i, c := range cols {
				quoted[i] = fmt.Sprintf("quote(%q)", c)
			}
			parts = append(parts, fmt.Sprintf(`SELECT '%s', (SELECT group_concat(r, char(10)) FROM (SELECT %s AS r FROM %q ORDER BY 1))`,
				name, strings.Join(quoted, "||','||"), name))
		} else {
			parts = append(parts, fmt.Sprintf(`SELECT '%s', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM %q x)`, name, name))
		}
	}
	ts.query = strings.Join(parts, " UNION ALL ")
	return ts
}

func (ts *tableSum) columns(table string) []string {
	rows, err := ts.db.Query(fmt.Sprintf(`SELECT name FROM pragma_table_info('%s')`, table))
	if err != nil {
		ts.t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			ts.t.Fatal(err)
		}
		cols = append(cols, c)
	}
	return cols
}

// of returns every table's rows, each table hashed: "name=hash ...".
func (ts *tableSum) of() string {
	rows, err := ts.db.Query(ts.query)
	if err != nil {
		ts.t.Fatalf("checksum: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		var content sql.NullString
		if err := rows.Scan(&name, &content); err != nil {
			ts.t.Fatal(err)
		}
		h := sha256.Sum256([]byte(content.String))
		out = append(out, name+"="+hex.EncodeToString(h[:6]))
	}
	if err := rows.Err(); err != nil {
		ts.t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// diff names the tables whose sums differ.
func (ts *tableSum) diff(a, b string) string {
	as, bs := strings.Fields(a), strings.Fields(b)
	var changed []string
	for i := range as {
		if i < len(bs) && as[i] != bs[i] {
			name, _, _ := strings.Cut(as[i], "=")
			changed = append(changed, name)
		}
	}
	return "tables " + strings.Join(changed, ", ")
}
