package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/sqlite"
)

// testSecret signs the tokens of these tests.
var testSecret = []byte("app-test-secret-0123456789abcdef")

// env is a Service over a fresh SQLite file and an in-process layer whose
// deliveries are recorded.
type env struct {
	svc    *app.Service
	store  *sqlite.Store
	layer  numeneon.Layer
	tokens *auth.Tokens
	got    *layertest.CommitRecorder
}

func mustOpenEnv(t *testing.T) *env {
	t.Helper()
	return mustOpenEnvWithLayer(t, nil)
}

// mustOpenEnvWithLayer uses layer, or a recorded inmem layer when nil.
func mustOpenEnvWithLayer(t *testing.T, layer numeneon.Layer) *env {
	t.Helper()
	store := teststore.SQLite(t)
	e := &env{store: store, tokens: auth.NewTokens(testSecret)}
	if layer == nil {
		l := inmem.NewLayer()
		e.got = layertest.NewCommitRecorder(store)
		l.Listen(e.got)
		layer = l
	}
	e.layer = layer
	e.svc = app.NewService(store, layer, e.tokens, nil, app.Options{})
	return e
}

// createUser inserts an active user directly, with a hash of "password1";
// hashing once per test process keeps the tests fast.
func (e *env) createUser(t *testing.T, username string) *numeneon.User {
	t.Helper()
	u := &numeneon.User{
		Username:     username,
		Email:        username + "@example.com",
		FirstName:    "First" + username,
		LastName:     "Last" + username,
		PasswordHash: passwordHash(t),
		IsActive:     true,
	}
	if err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateUser(ctx, u)
	}); err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	if e.got != nil {
		if err := e.layer.Subscribe(context.Background(), u.ID); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
	}
	return u
}

var (
	hashOnce sync.Once
	hash     string
)

func passwordHash(t *testing.T) string {
	t.Helper()
	hashOnce.Do(func() {
		var err error
		if hash, err = auth.HashPassword("password1"); err != nil {
			t.Fatalf("hash: %v", err)
		}
	})
	return hash
}

// as returns ctx acting as u.
func as(u *numeneon.User) context.Context {
	return numeneon.NewContextWithUser(context.Background(), u)
}

// frame decodes an envelope's frame.
type frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	ID   int64           `json:"id"`
}

func decodeFrame(t *testing.T, b []byte) frame {
	t.Helper()
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode frame %s: %v", b, err)
	}
	return f
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := numeneon.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// failingLayer refuses every publish, as a broker that is down would.
type failingLayer struct{ inmem.Layer }

func (f *failingLayer) Publish(ctx context.Context, envs ...numeneon.Envelope) error {
	return errors.New("broker unreachable")
}
