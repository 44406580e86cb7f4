package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/auth"
)

// TestBadInput sends every route malformed, mistyped, missing, unknown,
// foreign, oversized and hostile input, and bad credentials, and checks the
// documented 4xx answer: never a 5xx, never a success, on both databases.
func TestBadInput(t *testing.T) {
	onBothDatabases(t, api.Config{}, testBadInput)
}

func testBadInput(t *testing.T, ts *testServer) {
	alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")
	// A pending request from bob to carol: foreign to alice.
	ts.mustDo("POST", "/api/friends/request/"+id(carol.ID)+"/", bob.Access, nil, http.StatusCreated, nil)
	var reqs []object
	ts.mustDo("GET", "/api/friends/requests/", carol.Access, nil, http.StatusOK, &reqs)
	foreignReq := id(num(t, reqs[0]["id"]))

	past := auth.NewTokens(testSecret)
	past.Now = func() time.Time { return time.Now().Add(-3 * time.Hour) }
	expired, err := past.IssueAccess(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := auth.NewTokens([]byte("some-other-secret-0123456789abcd")).IssueAccess(alice.ID)

	const sqlMeta = "'; DROP TABLE users; --"
	huge := `{"content":"` + strings.Repeat("x", 2<<20) + `"}`
	// Just under the body limit: read whole, refused by a field's limit.
	nearLimit := strings.Repeat("y", 1<<20-256)

	// Stories: alice's own, and bob's, which alice may not see (they are
	// not friends).
	ownStory := ts.postStory(alice, "own")["id"].(string)
	foreignStory := ts.postStory(bob, "foreign")["id"].(string)
	const unknownStory = "0b6f1c7e-2f43-4a52-9a55-4e1f8b1d2c3a"
	storyURL := "https://cdn.example.com/a.jpg"
	story := func(id string) string { return "/api/stories/" + id + "/" }

	// Every authenticated route, for the credential cases.
	authed := []struct{ method, path string }{
		{"GET", "/api/auth/me/"},
		{"PATCH", "/api/auth/profile/"},
		{"GET", "/api/auth/search/?q=al"},
		{"GET", "/api/friends/"},
		{"GET", "/api/friends/suggestions/"},
		{"GET", "/api/friends/requests/"},
		{"POST", "/api/friends/request/" + id(bob.ID) + "/"},
		{"POST", "/api/friends/accept/" + foreignReq + "/"},
		{"POST", "/api/friends/decline/" + foreignReq + "/"},
		{"DELETE", "/api/friends/remove/" + id(bob.ID) + "/"},
		{"DELETE", "/api/friends/cancel/" + id(bob.ID) + "/"},
		{"GET", "/api/messages/"},
		{"POST", "/api/messages/"},
		{"GET", "/api/messages/conversations/"},
		{"GET", "/api/messages/conversation/" + id(bob.ID) + "/"},
		{"POST", "/api/messages/read_all/?user_id=" + id(bob.ID)},
		{"POST", "/api/messages/conversation/" + id(bob.ID) + "/read/"},
		{"GET", "/api/notifications/"},
		{"POST", "/api/notifications/read/"},
		{"GET", "/api/stories/"},
		{"POST", "/api/stories/"},
		{"GET", "/api/stories/me/"},
		{"GET", "/api/stories/user/" + id(bob.ID) + "/"},
		{"DELETE", story(ownStory)},
		{"POST", story(ownStory) + "view/"},
		{"POST", story(ownStory) + "react/"},
		{"DELETE", story(ownStory) + "react/"},
	}
	type tc struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   int
	}
	var cases []tc
	for _, r := range authed {
		for _, cred := range []struct{ name, token string }{
			{"no token", ""},
			{"refresh token as access", alice.Refresh},
			{"expired token", expired},
			{"token signed with another key", otherKey},
			{"garbage token", "abc.def.ghi"},
		} {
			cases = append(cases, tc{cred.name + " " + r.method + " " + r.path, r.method, r.path, cred.token, nil, http.StatusUnauthorized})
		}
	}
	a := alice.Access
	cases = append(cases, []tc{
		// Malformed JSON, trailing data, wrong top-level type.
		{"signup malformed", "POST", "/api/auth/signup/", "", `{"username":`, 400},
		{"login malformed", "POST", "/api/auth/login/", "", `{email: x}`, 400},
		{"refresh malformed", "POST", "/api/auth/token/refresh/", "", `nope`, 400},
		{"profile malformed", "PATCH", "/api/auth/profile/", a, `{"bio": "x"`, 400},
		{"message malformed", "POST", "/api/messages/", a, `{"receiver_id": 2, "content": "hi"`, 400},
		{"message trailing data", "POST", "/api/messages/", a, `{"receiver_id": 2, "content": "hi"} {"x":1}`, 400},
		{"message array body", "POST", "/api/messages/", a, `[1, 2]`, 400},
		{"notifications read malformed", "POST", "/api/notifications/read/", a, `{"up_to":}`, 400},

		// Wrong types.
		{"signup username number", "POST", "/api/auth/signup/", "", object{"username": 5, "email": "x@example.com", "password": "longenough"}, 400},
		{"login password object", "POST", "/api/auth/login/", "", object{"email": "alice@example.com", "password": object{"$ne": ""}}, 400},
		{"refresh number", "POST", "/api/auth/token/refresh/", "", object{"refresh": 12}, 400},
		{"profile bio number", "PATCH", "/api/auth/profile/", a, object{"bio": 12}, 400},
		{"message receiver abc", "POST", "/api/messages/", a, object{"receiver_id": "abc", "content": "hi"}, 400},
		{"message receiver float", "POST", "/api/messages/", a, object{"receiver_id": 2.5, "content": "hi"}, 400},
		{"message receiver bool", "POST", "/api/messages/", a, object{"receiver_id": true, "content": "hi"}, 400},
		{"message content number", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": 7}, 400},
		{"notifications up_to string", "POST", "/api/notifications/read/", a, object{"up_to": "all"}, 400},

		// Missing fields.
		{"signup empty body", "POST", "/api/auth/signup/", "", nil, 400},
		{"signup no password", "POST", "/api/auth/signup/", "", object{"username": "dora", "email": "dora@example.com"}, 400},
		{"login empty", "POST", "/api/auth/login/", "", object{}, 401},
		{"refresh missing", "POST", "/api/auth/token/refresh/", "", object{}, 400},
		{"message no receiver", "POST", "/api/messages/", a, object{"content": "hi"}, 400},
		{"message no content", "POST", "/api/messages/", a, object{"receiver_id": bob.ID}, 400},
		{"message null content", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": nil}, 400},
		{"notifications read no up_to", "POST", "/api/notifications/read/", a, object{}, 400},
		{"read_all no user_id", "POST", "/api/messages/read_all/", a, nil, 400},

		// Invalid values.
		{"signup bad email", "POST", "/api/auth/signup/", "", object{"username": "dora", "email": "dora", "password": "longenough"}, 400},
		{"signup short password", "POST", "/api/auth/signup/", "", object{"username": "dora", "email": "dora@example.com", "password": "short"}, 400},
		{"profile bio too long", "PATCH", "/api/auth/profile/", a, object{"bio": strings.Repeat("b", 501)}, 400},
		{"profile location too long", "PATCH", "/api/auth/profile/", a, object{"location": strings.Repeat("l", 101)}, 400},
		{"profile javascript website", "PATCH", "/api/auth/profile/", a, object{"website": "javascript:alert(1)"}, 400},
		{"profile avatar not a url", "PATCH", "/api/auth/profile/", a, object{"avatar": "not a url"}, 400},
		{"message too long", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": strings.Repeat("m", 5001)}, 400},
		{"message to self", "POST", "/api/messages/", a, object{"receiver_id": alice.ID, "content": "me"}, 400},
		{"message bad story", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": "hi", "reply_to_story": sqlMeta}, 400},
		{"friend request to self", "POST", "/api/friends/request/" + id(alice.ID) + "/", a, nil, 400},
		{"list bad limit", "GET", "/api/messages/?limit=abc", a, nil, 400},
		{"list limit too big", "GET", "/api/friends/?limit=100000", a, nil, 400},
		{"list negative before", "GET", "/api/messages/?before=-1", a, nil, 400},
		{"notifications bad since", "GET", "/api/notifications/?since=x", a, nil, 400},
		{"notifications negative since", "GET", "/api/notifications/?since=-5", a, nil, 400},
		{"read_all bad user_id", "POST", "/api/messages/read_all/?user_id=" + url.QueryEscape(sqlMeta), a, nil, 400},

		// Unknown ids and ids that are not ids.
		{"message unknown receiver", "POST", "/api/messages/", a, object{"receiver_id": 987654, "content": "hi"}, 404},
		{"friend request unknown user", "POST", "/api/friends/request/987654/", a, nil, 404},
		{"friend request id not a number", "POST", "/api/friends/request/abc/", a, nil, 404},
		{"friend request id zero", "POST", "/api/friends/request/0/", a, nil, 404},
		{"friend request id overflow", "POST", "/api/friends/request/99999999999999999999999/", a, nil, 404},
		{"accept unknown request", "POST", "/api/friends/accept/987654/", a, nil, 404},
		{"accept negative id", "POST", "/api/friends/accept/-1/", a, nil, 404},
		{"decline unknown request", "POST", "/api/friends/decline/987654/", a, nil, 404},
		{"remove unknown user", "DELETE", "/api/friends/remove/987654/", a, nil, 404},
		{"cancel unknown user", "DELETE", "/api/friends/cancel/987654/", a, nil, 404},
		{"cancel without request", "DELETE", "/api/friends/cancel/" + id(carol.ID) + "/", a, nil, 404},
		{"conversation unknown user", "GET", "/api/messages/conversation/987654/", a, nil, 404},
		{"conversation sql in id", "GET", "/api/messages/conversation/" + url.PathEscape(sqlMeta) + "/", a, nil, 404},
		{"conversation read unknown", "POST", "/api/messages/conversation/987654/read/", a, nil, 404},
		{"read_all unknown user", "POST", "/api/messages/read_all/?user_id=987654", a, nil, 404},
		{"public user sql name", "GET", "/api/auth/users/" + url.PathEscape(sqlMeta) + "/", "", nil, 404},
		{"public user percent", "GET", "/api/auth/users/%25/", "", nil, 404},
		{"public user underscore", "GET", "/api/auth/users/_/", "", nil, 404},

		// Foreign ids: a request between two other users.
		{"accept foreign request", "POST", "/api/friends/accept/" + foreignReq + "/", a, nil, 403},
		{"decline foreign request", "POST", "/api/friends/decline/" + foreignReq + "/", a, nil, 403},

		// Hostile strings are data, not SQL.
		{"login sql email", "POST", "/api/auth/login/", "", object{"email": sqlMeta, "password": sqlMeta}, 401},
		{"login wildcard email", "POST", "/api/auth/login/", "", object{"email": "%", "password": "password-alice"}, 401},
		{"login underscore email", "POST", "/api/auth/login/", "", object{"email": "_lice@example.com", "password": "password-alice"}, 401},
		{"signup sql username", "POST", "/api/auth/signup/", "", object{"username": sqlMeta, "email": "x@example.com", "password": "longenough"}, 400},

		// Oversized bodies.
		{"message oversized", "POST", "/api/messages/", a, huge, 413},
		{"signup oversized", "POST", "/api/auth/signup/", "", huge, 413},
		{"profile oversized", "PATCH", "/api/auth/profile/", a, huge, 413},

		// Unknown routes and methods.
		{"unknown path", "GET", "/api/nothing/", a, nil, 404},
		{"wrong method", "DELETE", "/api/messages/", a, nil, 405},

		// Stories: malformed bodies.
		{"story malformed", "POST", "/api/stories/", a, `{"media_type":`, 400},
		{"story array body", "POST", "/api/stories/", a, `[1]`, 400},
		{"story trailing data", "POST", "/api/stories/", a, `{"media_type":"image","media_url":"` + storyURL + `"} x`, 400},
		{"react malformed", "POST", story(ownStory) + "react/", a, `{"reaction_type": "heart"`, 400},
		{"react string body", "POST", story(ownStory) + "react/", a, `"heart"`, 400},
		// Wrong types.
		{"story media_type number", "POST", "/api/stories/", a, object{"media_type": 1, "media_url": storyURL}, 400},
		{"story media_url object", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": object{"x": 1}}, 400},
		{"story caption bool", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL, "caption": true}, 400},
		{"react type number", "POST", story(ownStory) + "react/", a, object{"reaction_type": 1}, 400},
		{"react type list", "POST", story(ownStory) + "react/", a, object{"reaction_type": []string{"heart"}}, 400},
		// Missing fields.
		{"story empty body", "POST", "/api/stories/", a, nil, 400},
		{"story no media_url", "POST", "/api/stories/", a, object{"media_type": "image"}, 400},
		{"story null media_url", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": nil}, 400},
		{"story no media_type", "POST", "/api/stories/", a, object{"media_url": storyURL}, 400},
		{"react no type", "POST", story(ownStory) + "react/", a, object{}, 400},
		{"react null type", "POST", story(ownStory) + "react/", a, object{"reaction_type": nil}, 400},
		// Invalid values: unknown choices, bad URLs, NUL bytes, invalid
		// UTF-8, strings of about a megabyte.
		{"story gif", "POST", "/api/stories/", a, object{"media_type": "gif", "media_url": storyURL}, 400},
		{"story javascript url", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": "javascript:alert(1)"}, 400},
		{"story url not a url", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": "not a url"}, 400},
		{"story url with NUL", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL + "\x00"}, 400},
		{"story caption with NUL", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL, "caption": "a\x00b"}, 400},
		{"story caption too long", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL, "caption": strings.Repeat("c", 501)}, 400},
		{"story caption of a megabyte", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL, "caption": nearLimit}, 400},
		{"story url of a megabyte", "POST", "/api/stories/", a, object{"media_type": "image", "media_url": storyURL + "?" + nearLimit}, 400},
		{"story invalid utf-8", "POST", "/api/stories/", a, []byte(`{"media_type":"image","media_url":"` + storyURL + `","caption":"` + "\xff\xfe" + `"}`), 400},
		{"react like", "POST", story(ownStory) + "react/", a, object{"reaction_type": "like"}, 400},
		{"react with NUL", "POST", story(ownStory) + "react/", a, object{"reaction_type": "heart\x00"}, 400},
		{"react invalid utf-8", "POST", story(ownStory) + "react/", a, []byte(`{"reaction_type":"heart` + "\xff" + `"}`), 400},
		{"react type of a megabyte", "POST", story(ownStory) + "react/", a, object{"reaction_type": nearLimit}, 400},
		{"stories bad cursor", "GET", "/api/stories/?before=abc", a, nil, 400},
		{"stories sql cursor", "GET", "/api/stories/?before=" + url.QueryEscape(sqlMeta), a, nil, 400},
		{"stories zero limit", "GET", "/api/stories/?limit=0", a, nil, 400},
		{"user stories bad cursor", "GET", "/api/stories/user/" + id(bob.ID) + "/?before=%00", a, nil, 400},
		{"message story with NUL", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": "hi", "reply_to_story": "\x00"}, 400},
		{"message story number", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": "hi", "reply_to_story": 5}, 400},
		// Unknown and malformed story ids: as if the story did not exist.
		{"view unknown story", "POST", story(unknownStory) + "view/", a, nil, 404},
		{"view malformed id", "POST", story("abc") + "view/", a, nil, 404},
		{"view id with junk", "POST", story(ownStory+"0") + "view/", a, nil, 404},
		{"view sql id", "POST", story(url.PathEscape(sqlMeta)) + "view/", a, nil, 404},
		{"view NUL id", "POST", story("%00") + "view/", a, nil, 404},
		{"view invalid utf-8 id", "POST", story("%FF%FE") + "view/", a, nil, 404},
		{"view huge id", "POST", story(strings.Repeat("a", 10000)) + "view/", a, nil, 404},
		{"react unknown story", "POST", story(unknownStory) + "react/", a, object{"reaction_type": "heart"}, 404},
		{"unreact unknown story", "DELETE", story(unknownStory) + "react/", a, nil, 404},
		{"unreact without reaction", "DELETE", story(ownStory) + "react/", a, nil, 404},
		{"delete unknown story", "DELETE", story(unknownStory), a, nil, 404},
		{"delete malformed id", "DELETE", story("not-a-uuid"), a, nil, 404},
		{"user stories not a number", "GET", "/api/stories/user/abc/", a, nil, 404},
		{"user stories zero", "GET", "/api/stories/user/0/", a, nil, 404},
		{"user stories unknown user", "GET", "/api/stories/user/987654/", a, nil, 404},
		{"user stories overflow", "GET", "/api/stories/user/99999999999999999999999/", a, nil, 404},
		{"message unknown story", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": "hi", "reply_to_story": unknownStory}, 404},
		// Foreign stories: bob's, which alice may not see.
		{"view foreign story", "POST", story(foreignStory) + "view/", a, nil, 404},
		{"react foreign story", "POST", story(foreignStory) + "react/", a, object{"reaction_type": "heart"}, 404},
		{"unreact foreign story", "DELETE", story(foreignStory) + "react/", a, nil, 404},
		{"delete foreign story", "DELETE", story(foreignStory), a, nil, 404},
		{"message foreign story", "POST", "/api/messages/", a, object{"receiver_id": bob.ID, "content": "hi", "reply_to_story": foreignStory}, 404},
		// Oversized bodies and wrong methods.
		{"story oversized", "POST", "/api/stories/", a, huge, 413},
		{"react oversized", "POST", story(ownStory) + "react/", a, huge, 413},
		{"story get by id", "GET", story(ownStory), a, nil, 405},
		{"story put", "PUT", story(ownStory), a, nil, 405},
		{"view with get", "GET", story(ownStory) + "view/", a, nil, 405},
	}...)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := ts.do(c.method, c.path, c.token, c.body)
			if status != c.want {
				t.Errorf("%s %s = %d %.200s, want %d", c.method, c.path, status, body, c.want)
			}
			if status >= 500 {
				t.Errorf("server error: %s", body)
			}
			if len(body) == 0 || body[0] != '{' {
				t.Errorf("body %.100q is not a JSON object", body)
			}
		})
	}

	// Nothing was damaged: the users are all there and can still sign in.
	var tokens object
	ts.mustDo("POST", "/api/auth/login/", "", object{"email": alice.Email, "password": alice.Password}, http.StatusOK, &tokens)
	var results []object
	ts.mustDo("GET", "/api/auth/search/?q=", alice.Access, nil, http.StatusOK, &results)
	if len(results) != 2 {
		t.Errorf("other users after the bad input = %d, want 2", len(results))
	}
	// The stories are as posted: no view, reaction or reply got through.
	for _, u := range []*user{alice, bob} {
		sts := ts.stories(u, "/api/stories/me/")
		if len(sts) != 1 || sts[0]["view_count"] != float64(0) || sts[0]["heart_count"] != float64(0) || sts[0]["thunder_count"] != float64(0) {
			t.Errorf("%s's stories after the bad input = %v, want one, untouched", u.Username, sts)
		}
	}
	var msgs []object
	ts.mustDo("GET", "/api/messages/", bob.Access, nil, http.StatusOK, &msgs)
	if len(msgs) != 0 {
		t.Errorf("bob's messages after the bad input = %v, want none", msgs)
	}
}

// TestErrorBodies checks the exact bodies the client reads.
func TestErrorBodies(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		want         string
	}{
		{"no credentials", "GET", "/api/auth/me/", "", nil, `{"detail":"Authentication credentials were not provided."}`},
		{"refresh as access", "GET", "/api/auth/me/", alice.Refresh, nil,
			`{"code":"token_not_valid","detail":"Given token not valid for any token type","messages":[{"message":"Token has wrong type","token_class":"AccessToken","token_type":"access"}]}`},
		{"missing signup fields", "POST", "/api/auth/signup/", "", object{"username": "x"}, `{"error":"Missing required fields."}`},
		{"bad login", "POST", "/api/auth/login/", "", object{"email": "alice@example.com", "password": "nope"}, `{"error":"Invalid email or password."}`},
		{"field validation", "PATCH", "/api/auth/profile/", alice.Access, object{"bio": strings.Repeat("b", 501)}, `{"bio":["Ensure this field has no more than 500 characters."]}`},
		{"wrong type", "POST", "/api/messages/", alice.Access, object{"receiver_id": "abc", "content": "hi"}, `{"error":"Invalid receiver_id: a valid integer is required."}`},
		{"blank content", "POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": " "}, `{"content":["This field may not be blank."]}`},
		{"unknown receiver", "POST", "/api/messages/", alice.Access, object{"receiver_id": 999, "content": "hi"}, `{"error":"Receiver not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := ts.do(tt.method, tt.path, tt.token, tt.body)
			if got := strings.TrimSpace(string(body)); got != tt.want {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
		})
	}
}
