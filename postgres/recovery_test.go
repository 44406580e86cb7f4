package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// TestPoolRecoversFromKilledConnections kills every server connection of the
// store (as a database restart or failover would) and checks that the store
// answers again: each dead connection may fail one call, no more.
func TestPoolRecoversFromKilledConnections(t *testing.T) {
	url := testsvc.PostgresURL(t)
	const poolSize = 2
	s := mustOpenStoreAt(t, url+"&pool_max_conns=2")
	ctx := context.Background()
	u := createUser(t, s, "alice")

	// Fill the pool with both connections.
	var wg sync.WaitGroup
	for range poolSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
				_, err := tx.AreFriends(ctx, u.ID, u.ID)
				return err
			})
		}()
	}
	wg.Wait()

	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("the store held no server connection to kill")
	}

	failures := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := s.FindUserByID(ctx, u.ID)
		if err == nil {
			if got.Username != "alice" {
				t.Fatalf("found %q, want alice", got.Username)
			}
			break
		}
		failures++
		t.Logf("call after the kill failed: %v", err)
		if failures > poolSize || time.Now().After(deadline) {
			t.Fatalf("store still failing after %d calls: %v", failures, err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after recovery: %v", err)
	}
}
