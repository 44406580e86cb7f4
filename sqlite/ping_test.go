package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

// TestPingChecksTheWriter: a write transaction that does not end blocks
// every write, so the readiness probe must fail while it lasts, even though
// reads still work, and pass again once it ends.
func TestPingChecksTheWriter(t *testing.T) {
	s := mustOpenMigrated(t)
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := s.Ping(ctx)
	cancel()
	if err == nil {
		t.Error("Ping passed while the writer was held")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("Ping while the writer was held: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping after the writer was released: %v", err)
	}
}
