package pglayer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/numeneon/numeneon"
)

// publishRequest is one Publish call waiting for its statement.
type publishRequest struct {
	records [][]byte
	done    chan error // buffered: the publisher never waits for the caller
}

// publishTimeout bounds one statement of the publisher.
const publishTimeout = 5 * time.Second

// Publish implements numeneon.Layer. The envelopes of concurrent calls go
// out together: the layer's publisher goroutine packs every envelope waiting
// (up to MaxPublishBatch) into as few notifications as fit and sends them in
// one statement, one transaction, so they reach every listener in order
// and at once. The call returns when PostgreSQL has committed that
// statement.
//
// Where NOTIFY is sent: after the transaction that stored the events, on a
// connection of the layer's own with synchronous_commit off. PostgreSQL
// serialises every committing transaction that has notified behind one
// cluster-wide lock held until its commit is flushed; notifying inside the
// writing transactions would put every write of the server in that line,
// each waiting for the one before it to reach the disk. The notifying
// transaction here writes nothing durable, so it skips the flush and holds
// the lock for microseconds (BENCHMARKS.md has the measurement).
//
// It returns an error, before sending anything, for an envelope without an
// id whose frame cannot fit in one notification (8,000 bytes), and an
// EUNAVAILABLE error if PostgreSQL cannot be reached; the stored events stay
// in the store either way. If ctx ends first, it returns ctx's error and the
// envelopes may still be sent.
func (l *Layer) Publish(ctx context.Context, envs ...numeneon.Envelope) error {
	if len(envs) == 0 {
		l.pubMu.RLock()
		defer l.pubMu.RUnlock()
		if l.pubClosed {
			return errClosed
		}
		return nil
	}
	req := &publishRequest{records: make([][]byte, len(envs)), done: make(chan error, 1)}
	for i, env := range envs {
		rec, err := appendRecord(nil, env)
		if err != nil {
			return fmt.Errorf("publish to user %d: %w", env.UserID, numeneon.Errorf(numeneon.EINVALID, "%s", err.Error()))
		}
		req.records[i] = rec
	}
	l.pubMu.RLock()
	if l.pubClosed {
		l.pubMu.RUnlock()
		return errClosed
	}
	select {
	case l.pubQueue <- req:
	case <-ctx.Done():
		l.pubMu.RUnlock()
		return unavailable("publish", ctx.Err())
	}
	l.pubMu.RUnlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return unavailable("publish", ctx.Err())
	}
}

// runPublisher sends queued requests, as many as are waiting per statement,
// one statement at a time on one connection: that keeps one publisher's
// envelopes in order. When Close closes the queue it sends what is left and
// returns.
func (l *Layer) runPublisher() {
	defer l.wg.Done()
	defer func() {
		if l.pubConn != nil {
			_ = l.pubConn.Close(context.Background())
		}
	}()
	var batch []*publishRequest
	var records [][]byte
	var payloads []string
	for req := range l.pubQueue {
		batch = append(batch[:0], req)
		n := len(req.records)
	collect:
		for n < l.cfg.MaxPublishBatch {
			select {
			case r, ok := <-l.pubQueue:
				if !ok {
					break collect
				}
				batch = append(batch, r)
				n += len(r.records)
			default:
				break collect
			}
		}
		records = records[:0]
		for _, r := range batch {
			records = append(records, r.records...)
		}
		payloads = l.pack(records, payloads[:0])
		err := l.send(payloads)
		for _, r := range batch {
			r.done <- err
		}
		clear(batch)
	}
}

// pack turns records into payloads, each starting with a sequence number
// of this process: PostgreSQL delivers one of several identical payloads
// notified in one transaction, and two identical batches of events must both
// arrive.
func (l *Layer) pack(records [][]byte, payloads []string) []string {
	start := len(payloads)
	payloads = packPayloads(records, payloads)
	for i := start; i < len(payloads); i++ {
		l.pubSeq++
		payloads[i] = strconv.FormatUint(l.pubSeq, 36) + ";" + payloads[i]
	}
	return payloads
}

// notifyAll sends every payload, in order, in one transaction.
const notifyAll = `SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p`

// send notifies payloads on the publishing connection, dialing a new one
// if the last one failed. A statement that fails on a connection that
// worked before is tried once more on a new one: the connection may have
// been closed by the server while idle (a restart, a proxy's timeout).
func (l *Layer) send(payloads []string) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		fresh := false
		if l.pubConn == nil {
			ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
			l.pubConn, err = l.dialPublisher(ctx)
			cancel()
			if err != nil {
				l.pubConn = nil
				return unavailable("open the publishing connection", err)
			}
			fresh = true
		}
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		_, err = l.pubConn.Exec(ctx, notifyAll, l.cfg.Channel, payloads)
		cancel()
		if err == nil {
			return nil
		}
		_ = l.pubConn.Close(context.Background())
		l.pubConn = nil
		if fresh {
			break
		}
	}
	return unavailable("notify", err)
}

// dialPublisher opens the publishing connection. Its transactions write
// nothing that must survive a crash (the events are stored already), so
// they commit without waiting for the disk: see Publish.
func (l *Layer) dialPublisher(ctx context.Context) (*pgx.Conn, error) {
	return l.dial(ctx, "publisher", map[string]string{"synchronous_commit": "off"})
}
