package sqlite

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// WAL checkpoints. By default SQLite copies the write-ahead log back into
// the database file inside the commit that takes the log past 1,000 pages,
// on the single writer connection: every writer waits meanwhile (pprof of a
// message load: about a sixth of the writer's time). Instead a connection
// of its own copies the log in the background (PASSIVE: it never blocks
// the writer or readers) shortly after writes. The writer still checkpoints
// itself when the log passes writerCheckpointPages, which also lets SQLite
// start the log over (only a checkpoint with no writer behind it can); by
// then the background has copied nearly everything, so that one is short.
const (
	checkpointEvery       = 100 * time.Millisecond
	writerCheckpointPages = 4000 // about 16 MiB of log
)

// checkpointer runs PASSIVE checkpoints after writes until Close.
type checkpointer struct {
	db      *sql.DB
	written atomic.Bool // a write committed since the last checkpoint
	stop    chan struct{}
	done    chan struct{}
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if !c.written.Swap(false) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// A failure (SQLITE_BUSY while another checkpoint runs) only
		// leaves the work to the next round or to the writer.
		_, _ = c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
	}
}

// wrote records a commit.
func (c *checkpointer) wrote() { c.written.Store(true) }

func (c *checkpointer) Close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
