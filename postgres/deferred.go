package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/numeneon/numeneon"
)

// Deferred writes: CreateMessage and CreateNotification only queue their rows
// in the Tx; flush writes all of them with one statement per table, pipelined
// with BEGIN and (at the end of Update) COMMIT. A group-committed batch of k
// messages thus costs one round trip instead of 2k+2, which is what bounded
// the message rate: the servers spent their time waiting on PostgreSQL.

// queuedNotification is a notification row to insert at the next flush; n
// receives its id and creation time once the row is written.
type queuedNotification struct {
	n      *numeneon.Notification
	userID int64
	typ    string
	data   *string
}

// insertMessages writes every queued message. An unknown sender or receiver
// fails its foreign key, which aborts the transaction: the COMMIT pipelined
// behind must not commit the others without it.
const insertMessages = `INSERT INTO messages (id, sender_id, receiver_id, content, is_read, story_id, created_at)
	SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::boolean[], $6::text[], $7::timestamptz[])`

// lockNotifiedUsers takes the row locks of the users whose counters the flush
// bumps, in ascending id order whatever the queue order, so that two
// transactions bumping the same users cannot deadlock. NO KEY UPDATE is the
// lock the UPDATE takes anyway; it does not block the KEY SHARE locks that
// foreign key checks of concurrent inserts take on the same users.
const lockNotifiedUsers = `SELECT FROM users WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`

// insertNotifications bumps each queued user's counter by the number of its
// queued notifications and stores them under the ids it skipped over, in
// queue order: the ids stay consecutive per user, and the row lock held until
// commit keeps them increasing in commit order. It returns each user's new
// last id, from which flush derives every notification's id the same way.
//
// A notification for an unknown user joins no counter; it gets a negative id
// (distinct per row, so the primary key does not object first) and fails the
// foreign key, which aborts the transaction like an unknown message user.
const insertNotifications = `WITH q AS MATERIALIZED (
		SELECT user_id, type, data, ord
		FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS q (user_id, type, data, ord)
	), counts AS (
		SELECT user_id, count(*) AS n FROM q GROUP BY user_id
	), bumped AS (
		UPDATE users u SET last_notification_id = u.last_notification_id + c.n
		FROM counts c WHERE u.id = c.user_id
		RETURNING u.id, u.last_notification_id AS last, c.n
	), inserted AS (
		INSERT INTO notifications (user_id, id, type, data, created_at)
		SELECT q.user_id,
			COALESCE(b.last - b.n + row_number() OVER (PARTITION BY q.user_id ORDER BY q.ord), -q.ord),
			q.type, q.data::json, $4::timestamptz
		FROM q LEFT JOIN bumped b ON b.id = q.user_id
	)
	SELECT id, last FROM bumped`

// pending reports whether writes wait for the next flush.
func (t *Tx) pending() bool {
	return len(t.msgs) > 0 || len(t.notes) > 0
}

// ready returns the connection for a statement of the transaction, having
// begun it and written the queued rows, so that the statement sees every
// earlier write of the transaction.
func (t *Tx) ready(ctx context.Context) (*pgx.Conn, error) {
	if t.err != nil {
		return nil, t.err
	}
	if !t.begun || t.pending() {
		if err := t.flush(ctx, false); err != nil {
			return nil, err
		}
	}
	return t.conn, nil
}

// flush sends BEGIN (once), the queued writes and, when commit is set,
// COMMIT, as one pipelined batch: one round trip. Then it gives every queued
// notification its id. A failure is kept in t.err: the transaction is
// aborted, so every later call and the commit report it, even if fn went on.
func (t *Tx) flush(ctx context.Context, commit bool) error {
	var (
		b       pgx.Batch
		stages  []string // what each queued statement does, for errors
		noteAt  = time.Now().UTC().Truncate(time.Microsecond)
		msgs    = t.msgs
		notes   = t.notes
		userIDs []int64
	)
	queue := func(stage, sql string, args ...any) {
		b.Queue(sql, args...)
		stages = append(stages, stage)
	}
	if !t.begun {
		queue("begin transaction", "BEGIN")
	}
	if len(msgs) > 0 {
		queue("insert messages", insertMessages, messageColumnsOf(msgs)...)
	}
	if len(notes) > 0 {
		ids, types, data := make([]int64, len(notes)), make([]string, len(notes)), make([]*string, len(notes))
		for i, q := range notes {
			ids[i], types[i], data[i] = q.userID, q.typ, q.data
		}
		userIDs = slices.Clone(ids)
		slices.Sort(userIDs)
		userIDs = slices.Compact(userIDs)
		if len(userIDs) > 1 {
			// One user's lock has no order to keep; the UPDATE takes it.
			queue("lock notified users", lockNotifiedUsers, userIDs)
		}
		queue("insert notifications", insertNotifications, ids, types, data, noteAt)
	}
	if commit {
		queue("commit transaction", "COMMIT")
	}
	t.begun = true
	t.msgs, t.notes = nil, nil

	last := make(map[int64]int64, len(userIDs))
	err := t.sendFlush(ctx, &b, stages, last)
	if err == nil && len(last) != len(userIDs) {
		// Unreachable while the foreign key holds: an unknown user fails
		// the statement. Checked so a missing id can never pass as 0.
		err = fmt.Errorf("insert notifications: %d of %d users have a counter", len(last), len(userIDs))
	}
	if err != nil {
		t.err = err
		return err
	}
	// Hand out the ids as the statement did: each user's queued
	// notifications, in queue order, end at its new last id.
	next := make(map[int64]int64, len(last))
	for _, q := range notes {
		next[q.userID]++
	}
	for id, n := range next {
		next[id] = last[id] - n + 1
	}
	for _, q := range notes {
		q.n.ID = next[q.userID]
		q.n.CreatedAt = noteAt
		next[q.userID]++
	}
	return nil
}

// sendFlush sends b and reads its results in order, filling last with each
// notified user's new last notification id.
func (t *Tx) sendFlush(ctx context.Context, b *pgx.Batch, stages []string, last map[int64]int64) (err error) {
	br := t.conn.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = flushError(cerr, "send queued writes")
		}
	}()
	for _, stage := range stages {
		if stage == "insert notifications" {
			rows, err := br.Query()
			if err != nil {
				return flushError(err, stage)
			}
			var id, n int64
			if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
				last[id] = n
				return nil
			}); err != nil {
				return flushError(err, stage)
			}
			continue
		}
		tag, err := br.Exec()
		if err != nil {
			return flushError(err, stage)
		}
		if stage == "commit transaction" && tag.String() == "ROLLBACK" {
			// COMMIT of a transaction a failed statement aborted (one fn
			// chose to go on after) rolls back without an error.
			return fmt.Errorf("commit transaction: a statement failed earlier in it: %w", pgx.ErrTxCommitRollback)
		}
	}
	return nil
}

// flushError maps a failure of a queued write. A foreign key violation is
// a message or notification naming an unknown user.
func flushError(err error, stage string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeForeignKeyViolation {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return mapError(err, stage)
}

// messageColumnsOf returns the arguments of insertMessages for msgs.
func messageColumnsOf(msgs []numeneon.Message) []any {
	var (
		ids       = make([]int64, len(msgs))
		senders   = make([]int64, len(msgs))
		receivers = make([]int64, len(msgs))
		contents  = make([]string, len(msgs))
		read      = make([]bool, len(msgs))
		stories   = make([]*string, len(msgs))
		created   = make([]time.Time, len(msgs))
	)
	for i, m := range msgs {
		ids[i], senders[i], receivers[i] = m.ID, m.SenderID, m.ReceiverID
		contents[i], read[i], stories[i], created[i] = m.Content, m.IsRead, m.StoryID, m.CreatedAt
	}
	return []any{ids, senders, receivers, contents, read, stories, created}
}

// Message ids are reserved from the messages id sequence in blocks, so that
// CreateMessage can hand out an id without a round trip.
const (
	minIDBlock = 16
	maxIDBlock = 256
	// idBlockMaxAge bounds how long a block is used. Two processes hand
	// out ids from different blocks at the same time, so a message may get
	// a lower id than one another process stored just before it; lists
	// order by id. Dropping blocks this old keeps that inversion to
	// messages sent within this span of each other, where commits race
	// anyway, instead of for as long as a quiet process keeps its block.
	idBlockMaxAge = 100 * time.Millisecond
)

// reserveMessageIDs takes $1 values of the messages id sequence. They may
// not be consecutive when other processes reserve at the same time; gaps are
// harmless, ids only need to be unique.
const reserveMessageIDs = `SELECT nextval(seq) FROM
	(SELECT pg_get_serial_sequence('messages', 'id')::regclass AS seq) s, generate_series(1, $1)`

// idBlock is a store's reserved message ids, shared by its transactions.
type idBlock struct {
	mu    sync.Mutex
	ids   []int64 // ascending, not yet handed out
	taken time.Time
	used  int // ids handed out from the current block
}

// next returns an unused message id, reserving a new block on conn when the
// current one is used up or too old. The block's size follows demand: twice
// what the previous block served, so a busy store reserves rarely and a
// quiet one wastes few ids.
func (b *idBlock) next(ctx context.Context, conn *pgx.Conn) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ids) == 0 || time.Since(b.taken) > idBlockMaxAge {
		size := min(max(2*b.used, minIDBlock), maxIDBlock)
		rows, err := conn.Query(ctx, reserveMessageIDs, size)
		if err != nil {
			return 0, mapError(err, "reserve message ids")
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return 0, mapError(err, "reserve message ids")
		}
		if len(ids) == 0 {
			return 0, fmt.Errorf("reserve message ids: the sequence returned none")
		}
		slices.Sort(ids)
		b.ids, b.taken, b.used = ids, time.Now(), 0
	}
	id := b.ids[0]
	b.ids = b.ids[1:]
	b.used++
	return id, nil
}
