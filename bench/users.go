package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"

	"github.com/numeneon/numeneon/client"
)

// runID makes the usernames of one run unique, so runs can repeat against
// the same database.
func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createUsers signs up n users, user i on target i (round robin), a few at
// a time (password hashing is deliberately slow).
func createUsers(ctx context.Context, o *Options, hc *http.Client, prefix string, n int) ([]*client.Client, error) {
	return createUsersAtOnce(ctx, o, hc, prefix, n, 8)
}

// createUsersAtOnce is createUsers with at most parallel signups at a time.
func createUsersAtOnce(ctx context.Context, o *Options, hc *http.Client, prefix string, n, parallel int) ([]*client.Client, error) {
	id := runID()
	users := make([]*client.Client, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("%s%s_%d", prefix, id, i)
			c := client.New(o.target(i), hc)
			if err := c.Signup(ctx, name, name+"@bench.invalid", o.Password); err != nil {
				errs <- fmt.Errorf("sign up %s: %w", name, err)
				return
			}
			users[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return users, nil
}
