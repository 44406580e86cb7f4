package pglayer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/pglayer"
)

// TestLayer runs the conformance suite: n layers on one database and one
// channel stand for n processes of one deployment. The suite's events are
// not in a real store; storingLayer writes them to a table before
// publishing, as the app stores an event before publishing it, so the
// frames too long to travel are read back from there.
func TestLayer(t *testing.T) {
	url := testsvc.PostgresURL(t)
	pool := mustPool(t, url)
	if _, err := pool.Exec(t.Context(), `CREATE TABLE suite_events (
		user_id bigint, id bigint, frame bytea NOT NULL, PRIMARY KEY (user_id, id))`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	events := tableEvents{pool}
	layertest.Run(t, func(t *testing.T, n int) []numeneon.Layer {
		cfg := testConfig(t, url, events)
		layers := make([]numeneon.Layer, n)
		for i := range layers {
			l, err := pglayer.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			layers[i] = storingLayer{l, events}
		}
		return layers
	})
}

// testConfig returns a configuration on a channel no other test uses, with
// logs that go to the test.
func testConfig(t testing.TB, url string, events pglayer.Events) pglayer.Config {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return pglayer.Config{
		URL:     url,
		Channel: "numeneon_test_" + hex.EncodeToString(b[:]),
		Events:  events,
		Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func mustPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// storingLayer stores each event with an id before publishing it. The first
// frame stored under an id stays, as in the real store.
type storingLayer struct {
	*pglayer.Layer
	events tableEvents
}

func (s storingLayer) Publish(ctx context.Context, envs ...numeneon.Envelope) error {
	for _, env := range envs {
		if env.ID == 0 {
			continue
		}
		if _, err := s.events.pool.Exec(ctx, `INSERT INTO suite_events (user_id, id, frame)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, env.UserID, env.ID, env.Frame); err != nil {
			return err
		}
	}
	return s.Layer.Publish(ctx, envs...)
}

// tableEvents reads the suite's events back.
type tableEvents struct{ pool *pgxpool.Pool }

func (e tableEvents) StoredEnvelopes(ctx context.Context, refs []numeneon.Envelope) ([]numeneon.Envelope, error) {
	users := make([]int64, len(refs))
	ids := make([]int64, len(refs))
	for i, r := range refs {
		users[i], ids[i] = r.UserID, r.ID
	}
	rows, err := e.pool.Query(ctx, `SELECT e.user_id, e.id, e.frame FROM suite_events e
		JOIN unnest($1::bigint[], $2::bigint[]) AS r(user_id, id) USING (user_id, id)`, users, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var envs []numeneon.Envelope
	for rows.Next() {
		var env numeneon.Envelope
		if err := rows.Scan(&env.UserID, &env.ID, &env.Frame); err != nil {
			return nil, err
		}
		envs = append(envs, env)
	}
	return envs, rows.Err()
}
