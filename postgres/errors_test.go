package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
)

func createUser(t *testing.T, s *postgres.Store, username string) *numeneon.User {
	t.Helper()
	u := &numeneon.User{Username: username, Email: username + "@example.com", IsActive: true}
	if err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateUser(ctx, u)
	}); err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// TestExpectedErrorsKeepTransactionUsable checks the PostgreSQL-specific
// part of the error mapping: a failed statement aborts a PostgreSQL
// transaction, so the store must report conflicts and unknown ids without
// one. Each case hits the error, then keeps writing in the same transaction
// and commits; the later write must be there. (Messages and notifications
// for unknown users fail at commit instead: see TestUnknownUserFailsUpdate.)
func TestExpectedErrorsKeepTransactionUsable(t *testing.T) {
	s := MustOpenStore(t)
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	const unknown = 1 << 40
	if err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		if _, err := tx.CreateFriendRequest(ctx, alice.ID, bob.ID); err != nil {
			return err
		}
		if err := tx.CreateFriendship(ctx, alice.ID, bob.ID); err != nil {
			return err
		}
		return tx.RevokeToken(ctx, "used", time.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		call     func(ctx context.Context, tx numeneon.Tx) error
		wantCode string
		wantMsg  string
	}{
		{"TakenUsername", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateUser(ctx, &numeneon.User{Username: "alice", Email: "new@example.com"})
		}, numeneon.ECONFLICT, "username"},
		{"TakenEmailOtherCase", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateUser(ctx, &numeneon.User{Username: "new", Email: "ALICE@example.com"})
		}, numeneon.ECONFLICT, "email"},
		{"DuplicateFriendRequest", func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.CreateFriendRequest(ctx, alice.ID, bob.ID)
			return err
		}, numeneon.ECONFLICT, "friend request"},
		{"FriendRequestToUnknown", func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.CreateFriendRequest(ctx, alice.ID, unknown)
			return err
		}, numeneon.ENOTFOUND, "not found"},
		{"ExistingFriendship", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateFriendship(ctx, bob.ID, alice.ID)
		}, numeneon.ECONFLICT, "friendship"},
		{"FriendshipWithUnknown", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateFriendship(ctx, unknown, alice.ID)
		}, numeneon.ENOTFOUND, "not found"},
		{"RevokedToken", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.RevokeToken(ctx, "used", time.Now().Add(time.Hour))
		}, numeneon.ECONFLICT, "already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var after numeneon.Message
			err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
				err := tc.call(ctx, tx)
				if got := numeneon.ErrorCode(err); got != tc.wantCode {
					t.Errorf("error code = %q (err %v), want %q", got, err, tc.wantCode)
				}
				if msg := numeneon.ErrorMessage(err); !strings.Contains(strings.ToLower(msg), tc.wantMsg) {
					t.Errorf("message %q does not mention %q", msg, tc.wantMsg)
				}
				after = numeneon.Message{SenderID: bob.ID, ReceiverID: alice.ID, Content: "after " + tc.name}
				return tx.CreateMessage(ctx, &after)
			})
			if err != nil {
				t.Fatalf("the transaction could not go on after the expected error: %v", err)
			}
			thread, err := s.ListConversation(context.Background(), alice.ID, bob.ID, numeneon.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(thread) != 1 || thread[0].Content != after.Content {
				t.Fatalf("newest message = %v, want the one written after the error", thread)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	url := testsvc.PostgresURL(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		url      string
		wantCode string // "" for success
	}{
		{"PostgresScheme", url, ""},
		{"PostgresqlScheme", "postgresql" + strings.TrimPrefix(url, "postgres"), ""},
		{"PoolMaxConns", url + "&pool_max_conns=2", ""},
		{"BadPoolMaxConns", url + "&pool_max_conns=none", numeneon.EINVALID},
		{"OtherScheme", "mysql://root@127.0.0.1/x", numeneon.EINVALID},
		{"NotAURL", "host=127.0.0.1 user=postgres", numeneon.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := postgres.Open(ctx, tc.url)
			if got := numeneon.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("Open error code = %q (err %v), want %q", got, err, tc.wantCode)
			}
			if err != nil {
				return
			}
			defer s.Close()
			if err := s.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}

	t.Run("NoServer", func(t *testing.T) {
		port := testsvc.ClosedPort(t)
		_, err := postgres.Open(ctx, "postgres://postgres:secret@127.0.0.1:"+itoa(port)+"/x?sslmode=disable&connect_timeout=5")
		if err == nil {
			t.Fatal("Open succeeded with no server listening")
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("Open error shows the password: %v", err)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
