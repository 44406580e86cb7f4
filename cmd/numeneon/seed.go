package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/pglayer"
)

// seedPassword is every demo user's password. The accounts are for trying
// the product on a laptop; seed refuses to run in production.
const seedPassword = "numeneon-demo"

// seedUsers are the demo accounts, in the order their logins are printed.
var seedUsers = []struct{ username, name string }{
	{"ada", "Ada Lovelace"},
	{"grace", "Grace Hopper"},
	{"alan", "Alan Turing"},
	{"margaret", "Margaret Hamilton"},
}

// seedFriendships are made friends; seedRequests are left pending (from,
// to), so the friends page has something to accept.
var (
	seedFriendships = [][2]string{{"ada", "grace"}, {"ada", "alan"}, {"grace", "margaret"}}
	seedRequests    = [][2]string{{"alan", "margaret"}}
)

// seedConversations are sent only into conversations that are still empty,
// each line from the first user of the pair when its index is even.
var seedConversations = []struct {
	a, b  string
	lines []string
}{
	{"ada", "grace", []string{
		"Grace! Did the notification arrive this time?",
		"It did, instantly. Even with two workers.",
		"Then the original bug is really gone.",
		"Send me a message from the other browser and watch the toast.",
	}},
	{"ada", "alan", []string{
		"Alan, are you coming on Thursday?",
		"Yes, I will bring the new machine.",
	}},
}

// seedPosts are posted, with their comments ({author, text}), unless the
// author has a post already.
var seedPosts = []struct {
	author, typ, content string
	comments             [][2]string
}{
	{"grace", "milestones", "Two workers, one Redis, zero lost notifications.", [][2]string{{"ada", "Finally!"}, {"margaret", "Ship it."}}},
	{"ada", "thoughts", "Reading notes on the analytical engine tonight.", [][2]string{{"alan", "Save me a seat."}}},
}

// seedStories are posted unless the user has a story that has not expired
// (stories last 24 hours, so a seed a day later posts them again).
var seedStories = []struct{ user, caption string }{
	{"grace", "Night shift, clear sky."},
	{"alan", "The new machine is in."},
}

// runSeed creates the demo users, friendships, messages, posts and stories, and prints the
// logins. Running it again changes nothing that is already there.
func runSeed(ctx context.Context, cfg *Config, logger *slog.Logger, stdout io.Writer) error {
	if cfg.Production() {
		return errors.New("seed refuses to run with NUMENEON_ENV=production: it creates accounts with a published password")
	}
	if err := cfg.ensureSecretKey(); err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	// Through the configured layer, a server already running delivers the
	// seeded events live (a SQLite server's wait in the store for the next
	// resume).
	events, _ := store.(pglayer.Events)
	layer, presence, err := openLayer(ctx, cfg, events, logger)
	if err != nil {
		return err
	}
	defer func() {
		_ = presence.Close()
		_ = layer.Close()
	}()
	svc := app.NewService(store, layer, auth.NewTokens([]byte(cfg.SecretKey)), logger, app.Options{})
	if err := svc.SetAccountPolicy(cfg.AccountPolicy()); err != nil {
		return err
	}

	users := map[string]*numeneon.User{}
	created := map[string]bool{}
	for _, su := range seedUsers {
		u, made, err := seedUser(ctx, svc, su.username, su.name)
		if err != nil {
			return err
		}
		users[su.username], created[su.username] = u, made
	}
	as := func(name string) context.Context { return numeneon.NewContextWithUser(ctx, users[name]) }

	for _, pair := range seedFriendships {
		if err := seedFriendship(ctx, svc, as(pair[0]), as(pair[1]), users[pair[0]], users[pair[1]]); err != nil {
			return err
		}
	}
	for _, pair := range seedRequests {
		_, err := svc.SendFriendRequest(as(pair[0]), users[pair[1]].ID)
		// ECONFLICT: already requested or already friends; either is seeded.
		if err != nil && numeneon.ErrorCode(err) != numeneon.ECONFLICT {
			return fmt.Errorf("seed the friend request from %s to %s: %w", pair[0], pair[1], err)
		}
	}
	for _, c := range seedConversations {
		thread, err := svc.Conversation(as(c.a), users[c.b].ID, numeneon.Page{Limit: 1})
		if err != nil {
			return fmt.Errorf("read the conversation of %s and %s: %w", c.a, c.b, err)
		}
		if len(thread) > 0 {
			continue
		}
		for i, line := range c.lines {
			from, to := c.a, c.b
			if i%2 == 1 {
				from, to = c.b, c.a
			}
			if _, err := svc.SendMessage(as(from), users[to].ID, line, nil); err != nil {
				return fmt.Errorf("seed a message from %s to %s: %w", from, to, err)
			}
		}
	}

	// Posts, each with its comments, unless its author has posted already.
	for _, sp := range seedPosts {
		mine, err := svc.ListPosts(as(sp.author), sp.author, numeneon.Page{Limit: 1})
		if err != nil {
			return fmt.Errorf("list the posts of %s: %w", sp.author, err)
		}
		if len(mine) > 0 {
			continue
		}
		post, err := svc.CreatePost(as(sp.author), app.NewPost{Content: sp.content, Type: sp.typ})
		if err != nil {
			return fmt.Errorf("seed a post of %s: %w", sp.author, err)
		}
		for _, c := range sp.comments {
			if _, err := svc.CreatePost(as(c[0]), app.NewPost{Content: c[1], ParentID: post.ID}); err != nil {
				return fmt.Errorf("seed a comment of %s: %w", c[0], err)
			}
		}
	}

	// Stories show pictures the server itself serves, so they work offline
	// on the default address.
	for _, st := range seedStories {
		mine, err := svc.UserStories(as(st.user), users[st.user].ID, numeneon.StoryPage{Limit: 1})
		if err != nil {
			return fmt.Errorf("list the stories of %s: %w", st.user, err)
		}
		if len(mine) > 0 {
			continue
		}
		url := fmt.Sprintf("http://localhost:%d/assets/demo/story-%s.svg", cfg.Port, st.user)
		if _, err := svc.CreateStory(as(st.user), app.NewStory{MediaType: "image", MediaURL: url, Caption: st.caption}); err != nil {
			return fmt.Errorf("seed a story of %s: %w", st.user, err)
		}
	}

	fmt.Fprintln(stdout, "Demo users (open two browsers and log in as two of them):")
	for _, su := range seedUsers {
		state := "exists"
		if created[su.username] {
			state = "created"
		}
		pw := seedPassword
		if !created[su.username] {
			pw += " (unless changed since)"
		}
		fmt.Fprintf(stdout, "  %-9s email %-22s password %s  [%s]\n", su.username, users[su.username].Email, pw, state)
	}
	return nil
}

// seedUser finds the demo user or signs it up; made says it was created.
func seedUser(ctx context.Context, svc *app.Service, username, name string) (*numeneon.User, bool, error) {
	u, err := svc.FindUserByUsername(ctx, username)
	if err == nil {
		return u, false, nil
	}
	if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
		return nil, false, fmt.Errorf("find demo user %s: %w", username, err)
	}
	u, err = svc.Signup(ctx, app.SignupInput{Username: username, Email: username + "@example.com", Password: seedPassword, DisplayName: name})
	if err != nil {
		return nil, false, fmt.Errorf("create demo user %s: %w", username, err)
	}
	return u, true, nil
}

// seedFriendship makes a and b friends unless they are: a asks, b accepts.
func seedFriendship(ctx context.Context, svc *app.Service, asA, asB context.Context, a, b *numeneon.User) error {
	friends, err := svc.ListFriends(asA, numeneon.Page{Limit: 500})
	if err != nil {
		return fmt.Errorf("list the friends of %s: %w", a.Username, err)
	}
	for _, f := range friends {
		if f.ID == b.ID {
			return nil
		}
	}
	res, err := svc.SendFriendRequest(asA, b.ID)
	switch {
	case err == nil && res.Accepted:
		return nil
	case err == nil:
		_, err = svc.AcceptFriendRequest(asB, res.Request.ID)
		return err
	case numeneon.ErrorCode(err) != numeneon.ECONFLICT:
		return fmt.Errorf("seed the friendship of %s and %s: %w", a.Username, b.Username, err)
	}
	// A request from a is pending already (an earlier run stopped halfway).
	reqs, err := svc.ListFriendRequests(asB, numeneon.Page{Limit: 500})
	if err != nil {
		return fmt.Errorf("list the friend requests of %s: %w", b.Username, err)
	}
	for _, r := range reqs {
		if r.FromUserID == a.ID {
			_, err = svc.AcceptFriendRequest(asB, r.ID)
			return err
		}
	}
	return fmt.Errorf("seed the friendship of %s and %s: the request is neither pending nor accepted", a.Username, b.Username)
}
