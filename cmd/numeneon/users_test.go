package main_test

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon/client"
)

var userSeq atomic.Int64

func itoa(n int) string { return strconv.Itoa(n) }

// newUser signs a new user up on the server at base and logs them in.
func newUser(t testing.TB, base, prefix string) *client.Client {
	t.Helper()
	n := userSeq.Add(1)
	name := fmt.Sprintf("%s%d", prefix, n)
	c := client.New(base, nil)
	if err := c.Signup(t.Context(), name, name+"@example.com", "password-"+name); err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
	return c
}
