package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/internal/djangocompat"
)

func TestSignupLoginMe(t *testing.T) {
	ts := newTestServer(t, api.Config{})

	var signup object
	ts.mustDo("POST", "/api/auth/signup/", "", object{
		"username": "alice", "email": "alice@example.com", "password": "correct horse", "display_name": "Alice Liddell",
	}, http.StatusCreated, &signup)
	wantKeys(t, "signup", signup, "message", "user")
	u := signup["user"].(object)
	wantKeys(t, "signup user", u, "id", "username", "email", "first_name", "last_name", "date_joined", "profile")
	if diff := cmp.Diff(object{"id": u["id"], "username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"},
		object{"id": u["id"], "username": u["username"], "email": u["email"], "first_name": u["first_name"], "last_name": u["last_name"]}); diff != "" {
		t.Errorf("signup user (-want +got):\n%s", diff)
	}
	checkProfile(t, u["profile"], "alice", true)

	var tokens object
	ts.mustDo("POST", "/api/auth/login/", "", object{"email": "ALICE@example.com", "password": "correct horse"}, http.StatusOK, &tokens)
	wantKeys(t, "login", tokens, "access", "refresh")

	var me object
	ts.mustDo("GET", "/api/auth/me/", tokens["access"].(string), nil, http.StatusOK, &me)
	wantKeys(t, "me", me, "id", "username", "email", "first_name", "last_name", "date_joined", "profile")
	if me["id"] != u["id"] || me["email"] != "alice@example.com" {
		t.Errorf("me = %v, want alice with her email", me)
	}
	checkProfile(t, me["profile"], "alice", true)

	status, body := ts.do("POST", "/api/auth/login/", "", object{"email": "alice@example.com", "password": "wrong password"})
	if status != http.StatusUnauthorized || !strings.Contains(string(body), `"error"`) {
		t.Errorf("bad login = %d %s, want 401 {error}", status, body)
	}

	status, body = ts.do("POST", "/api/auth/signup/", "", object{"username": "alice", "email": "new@example.com", "password": "correct horse"})
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"error":"Username already taken."`) {
		t.Errorf("duplicate signup = %d %s", status, body)
	}
	status, body = ts.do("POST", "/api/auth/signup/", "", object{"username": "alice2", "email": "Alice@Example.com", "password": "correct horse"})
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"error":"Email already registered."`) {
		t.Errorf("duplicate email signup = %d %s", status, body)
	}
}

// checkProfile checks a Profile object field by field.
func checkProfile(t *testing.T, v any, username string, withEmail bool) {
	t.Helper()
	p, ok := v.(object)
	if !ok {
		t.Fatalf("profile is %T", v)
	}
	wantKeys(t, "profile", p, "id", "user", "bio", "avatar", "location", "website", "created_at", "updated_at")
	wantTimestamp(t, "profile.created_at", p["created_at"])
	wantTimestamp(t, "profile.updated_at", p["updated_at"])
	checkUserFull(t, p["user"], username, withEmail)
}

// checkUserFull checks a "User (full)" object.
func checkUserFull(t *testing.T, v any, username string, withEmail bool) {
	t.Helper()
	keys := []string{"id", "username", "first_name", "last_name", "date_joined", "profile_picture"}
	if withEmail {
		keys = append(keys, "email")
	}
	wantKeys(t, "user", v, keys...)
	u := v.(object)
	if u["username"] != username {
		t.Errorf("user.username = %v, want %s", u["username"], username)
	}
	wantTimestamp(t, "user.date_joined", u["date_joined"])
}

// TestStrictRefreshRotation: with REFRESH_ROTATION=strict the rotated
// token keeps a session going, a used one is refused, and its reuse ends
// the session (default mode: TestRefreshWithTheFirstToken).
func TestStrictRefreshRotation(t *testing.T) {
	ts := newTestServerWith(t, api.Config{}, serverOptions{policy: app.AccountPolicy{RefreshRotation: app.RotationStrict}})
	alice := ts.signup("alice")

	var pair, next object
	ts.mustDo("POST", "/api/auth/token/refresh/", "", object{"refresh": alice.Refresh}, http.StatusOK, &pair)
	wantKeys(t, "refresh", pair, "access", "refresh")
	ts.mustDo("GET", "/api/auth/me/", pair["access"].(string), nil, http.StatusOK, nil)
	ts.mustDo("POST", "/api/auth/token/refresh/", "", object{"refresh": pair["refresh"]}, http.StatusOK, &next)

	status, body := ts.do("POST", "/api/auth/token/refresh/", "", object{"refresh": alice.Refresh})
	if status != http.StatusUnauthorized {
		t.Errorf("reused refresh token = %d %s, want 401", status, body)
	}
	status, body = ts.do("POST", "/api/auth/token/refresh/", "", object{"refresh": next["refresh"]})
	if status != http.StatusUnauthorized {
		t.Errorf("newest refresh token after a reuse = %d %s, want 401", status, body)
	}
}

// TestLoginUpgradesDjangoHash logs in an account migrated from the original
// backend with its Django pbkdf2 hash and checks the stored hash became
// argon2id.
func TestLoginUpgradesDjangoHash(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	hash := djangocompat.Django32Hash(t)
	ctx := context.Background()
	u := &numeneon.User{Username: "legacy", Email: "legacy@example.com", PasswordHash: hash, IsActive: true}
	if err := ts.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	var tokens object
	ts.mustDo("POST", "/api/auth/login/", "", object{"email": "legacy@example.com", "password": "test123"}, http.StatusOK, &tokens)
	got, err := ts.store.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Errorf("stored hash after login = %q, want argon2id", got.PasswordHash)
	}
	ts.mustDo("POST", "/api/auth/login/", "", object{"email": "legacy@example.com", "password": "test123"}, http.StatusOK, nil)
}

func TestProfileSearchAndPublicUser(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice := ts.signup("alice")
	ts.signup("bob")
	bobby := ts.signup("bobby")
	ts.mustDo("PATCH", "/api/auth/profile/", bobby.Access, object{"last_name": "100%_sure"}, http.StatusOK, nil)

	var me object
	ts.mustDo("PATCH", "/api/auth/profile/", alice.Access, object{
		"bio": "Down the rabbit hole", "location": "Oxford", "website": "https://alice.example", "avatar": "https://img.example/a.png",
	}, http.StatusOK, &me)
	p := me["profile"].(object)
	if diff := cmp.Diff(object{"bio": "Down the rabbit hole", "location": "Oxford", "website": "https://alice.example", "avatar": "https://img.example/a.png"},
		object{"bio": p["bio"], "location": p["location"], "website": p["website"], "avatar": p["avatar"]}); diff != "" {
		t.Errorf("profile after PATCH (-want +got):\n%s", diff)
	}
	if pic := p["user"].(object)["profile_picture"]; pic != "https://img.example/a.png" {
		t.Errorf("profile_picture = %v, want the avatar", pic)
	}
	// A partial PATCH leaves the other fields alone; null clears the avatar.
	ts.mustDo("PATCH", "/api/auth/profile", alice.Access, object{"avatar": nil}, http.StatusOK, &me)
	if p := me["profile"].(object); p["avatar"] != nil || p["bio"] != "Down the rabbit hole" {
		t.Errorf("after clearing avatar: %v", p)
	}

	var results []object
	ts.mustDo("GET", "/api/auth/search/?q=bob", alice.Access, nil, http.StatusOK, &results)
	if len(results) != 2 {
		t.Fatalf("search bob = %v, want bob and bobby", results)
	}
	for _, r := range results {
		wantKeys(t, "search result", r, "id", "username", "first_name", "last_name", "profile_picture")
	}
	// % is taken literally, not as a wildcard.
	for _, q := range []string{"0%25_s", "%25_", "0%25"} {
		ts.mustDo("GET", "/api/auth/search/?q="+q, alice.Access, nil, http.StatusOK, &results)
		if len(results) != 1 || results[0]["username"] != "bobby" {
			t.Errorf("search %s = %v, want only bobby", q, results)
		}
	}
	// Short queries list the newest users, never the caller.
	ts.mustDo("GET", "/api/auth/search/?q=a", alice.Access, nil, http.StatusOK, &results)
	if len(results) != 2 {
		t.Errorf("short query = %d users, want the 2 others", len(results))
	}
	for _, r := range results {
		if num(t, r["id"]) == alice.ID {
			t.Error("search includes the caller")
		}
	}

	var public object
	ts.mustDo("GET", "/api/auth/users/alice/", "", nil, http.StatusOK, &public)
	checkUserFull(t, public, "alice", false)
	ts.mustDo("GET", "/api/auth/users/nobody/", "", nil, http.StatusNotFound, nil)
}

// TestTrailingSlashOptional checks that every path works with and without
// its trailing slash, with no redirect.
func TestTrailingSlashOptional(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice := ts.signup("alice")
	bob := ts.signup("bob")
	for _, path := range []string{"/api/auth/me", "/api/auth/me/", "/api/friends", "/api/messages/conversations", "/api/notifications"} {
		ts.mustDo("GET", path, alice.Access, nil, http.StatusOK, nil)
	}
	ts.mustDo("POST", "/api/messages", alice.Access, object{"receiver_id": bob.ID, "content": "no slash"}, http.StatusCreated, nil)
	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID), alice.Access, nil, http.StatusCreated, nil)
	var msgs []json.RawMessage
	ts.mustDo("GET", "/api/messages/conversation/"+id(alice.ID), bob.Access, nil, http.StatusOK, &msgs)
	if len(msgs) != 1 {
		t.Errorf("conversation has %d messages, want 1", len(msgs))
	}
}
