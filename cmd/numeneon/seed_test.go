package main_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/client"
)

// TestSeed: seed creates demo users a newcomer can log in as, already
// friends and with a conversation; a second run adds nothing; production
// refuses it.
func TestSeed(t *testing.T) {
	env := baseEnv(t)
	out, err := runCommand(t, env, "seed")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	for _, want := range []string{"ada@example.com", "grace@example.com", "numeneon-demo", "[created]"} {
		if !strings.Contains(out, want) {
			t.Errorf("seed output lacks %q:\n%s", want, out)
		}
	}
	again, err := runCommand(t, env, "seed")
	if err != nil {
		t.Fatalf("second seed: %v\n%s", err, again)
	}
	if strings.Contains(again, "[created]") || !strings.Contains(again, "[exists]") {
		t.Errorf("second seed created users again:\n%s", again)
	}

	p := startProc(t, env)
	ctx := t.Context()
	ada := client.New(p.URL, nil)
	if err := ada.Login(ctx, "ada@example.com", "numeneon-demo"); err != nil {
		t.Fatalf("log in as the seeded ada: %v", err)
	}
	var friends []struct {
		Username string `json:"username"`
	}
	if err := ada.Do(ctx, "GET", "/api/friends/", nil, &friends, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range friends {
		names = append(names, f.Username)
	}
	if got := strings.Join(names, ","); got != "grace,alan" && got != "alan,grace" {
		t.Errorf("ada's friends = %s, want grace and alan", got)
	}
	var convs []struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	if err := ada.Do(ctx, "GET", "/api/messages/conversations/", nil, &convs, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 {
		t.Errorf("ada has %d conversations, want 2", len(convs))
	}
	var thread []struct {
		Content string `json:"content"`
	}
	grace := findUserID(t, ada, "grace")
	if err := ada.Do(ctx, "GET", "/api/messages/conversation/"+itoa(int(grace))+"/", nil, &thread, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if len(thread) != 4 {
		t.Errorf("ada and grace have %d messages after two seeds, want the 4 seeded once", len(thread))
	}

	var stories struct {
		Stories []struct {
			User struct {
				Username string `json:"username"`
			} `json:"user"`
		} `json:"stories"`
	}
	if err := ada.Do(ctx, "GET", "/api/stories/", nil, &stories, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if len(stories.Stories) != 2 {
		t.Errorf("ada sees %d stories after two seeds, want grace's and alan's", len(stories.Stories))
	}

	var feed []struct {
		CommentCount int `json:"comment_count"`
	}
	if err := ada.Do(ctx, "GET", "/api/posts/", nil, &feed, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if len(feed) != 2 || feed[0].CommentCount+feed[1].CommentCount != 3 {
		t.Errorf("ada's feed after two seeds = %+v, want 2 posts with 3 comments between them", feed)
	}

	prod := append(baseEnv(t), "NUMENEON_ENV=production")
	out, err = runCommand(t, prod, "seed")
	if err == nil || !strings.Contains(out, "production") {
		t.Errorf("seed in production: err %v, output:\n%s", err, out)
	}
}

func findUserID(t *testing.T, c *client.Client, username string) int64 {
	t.Helper()
	var u struct {
		ID int64 `json:"id"`
	}
	if err := c.Do(t.Context(), "GET", "/api/auth/users/"+username+"/", nil, &u, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	return u.ID
}
