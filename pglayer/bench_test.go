package pglayer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/pglayer"
)

var benchFrame = []byte(`{"type":"new_message","data":{"id":1,"sender":{"id":2,"username":"ada"},"content":"hello"},"id":1}`)

// benchLayers opens a publishing and a subscribing layer (two processes)
// on a fresh database, the second subscribed to users 1..users.
func benchLayers(b *testing.B, users int) (pub *pglayer.Layer, rec *layertest.Recorder) {
	url := testsvc.PostgresURL(b)
	cfg := testConfig(b, url, tableEvents{})
	cfg.Logger = nil
	pub, sub := mustNew(b, cfg), mustNew(b, cfg)
	rec = layertest.NewRecorder()
	sub.Listen(rec)
	pub.Listen(layertest.NewRecorder())
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if err := sub.Subscribe(b.Context(), ids...); err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	return pub, rec
}

// BenchmarkPublish publishes one envelope per call from 8×GOMAXPROCS
// goroutines to users another process subscribes to, and waits until all
// arrived: the layer's throughput (ns/op is per envelope), with
// BenchmarkPublish in ./redis beside it.
func BenchmarkPublish(b *testing.B) {
	pub, rec := benchLayers(b, 1000)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			env := numeneon.Envelope{UserID: n%1000 + 1, ID: n, Frame: benchFrame}
			if err := pub.Publish(b.Context(), env); err != nil {
				b.Errorf("Publish: %v", err)
				return
			}
		}
	})
	published := int(next.Load())
	rec.WaitFor(b, fmt.Sprintf("%d envelopes delivered", published), func(r *layertest.Recorder) bool {
		return r.Total() >= published
	})
}

// BenchmarkFanout is the layer's part of a fan-out: one Publish carrying an
// envelope for each of N friends, until the other process has received the
// last one.
func BenchmarkFanout(b *testing.B) {
	for _, friends := range []int{200, 1000, 5000} {
		b.Run(fmt.Sprintf("friends=%d", friends), func(b *testing.B) {
			pub, rec := benchLayers(b, friends)
			envs := make([]numeneon.Envelope, friends)
			b.ResetTimer()
			for i := range b.N {
				for f := range envs {
					envs[f] = numeneon.Envelope{UserID: int64(f + 1), ID: int64(i + 1), Frame: benchFrame}
				}
				if err := pub.Publish(b.Context(), envs...); err != nil {
					b.Fatalf("Publish: %v", err)
				}
				want := (i + 1) * friends
				rec.WaitFor(b, "the fan-out", func(r *layertest.Recorder) bool { return r.Total() >= want })
			}
		})
	}
}

// BenchmarkCommitNotify is where NOTIFY goes: 32 writers on 16 connections, each committing
// one INSERT per operation (the shape of a message and its notification),
// with no NOTIFY; with pg_notify inside the writing transaction (delivered
// at commit, so atomic with it); or with Publish on this layer right after
// the commit, as the app does. PostgreSQL serialises the commits of every
// transaction that notified behind one cluster-wide lock, held until the
// commit is on disk.
func BenchmarkCommitNotify(b *testing.B) {
	for _, mode := range []string{"none", "inside", "after"} {
		b.Run("notify="+mode, func(b *testing.B) {
			url := testsvc.PostgresURL(b)
			poolCfg, err := pgxpool.ParseConfig(url)
			if err != nil {
				b.Fatal(err)
			}
			poolCfg.MaxConns = 16
			pool, err := pgxpool.NewWithConfig(b.Context(), poolCfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(pool.Close)
			if _, err := pool.Exec(b.Context(), `CREATE TABLE bench_events (id bigserial PRIMARY KEY, user_id bigint, data text)`); err != nil {
				b.Fatal(err)
			}
			cfg := testConfig(b, url, tableEvents{})
			cfg.Logger = nil
			layer := mustNew(b, cfg)
			layer.Listen(layertest.NewRecorder())
			var next atomic.Int64
			b.SetParallelism(16) // 32 writers sharing 16 connections
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					if err := commitOne(b.Context(), pool, layer, mode, n); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func commitOne(ctx context.Context, pool *pgxpool.Pool, layer *pglayer.Layer, mode string, n int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO bench_events (user_id, data) VALUES ($1, $2)`, n%1000, benchFrame); err != nil {
		return err
	}
	if mode == "inside" {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('bench', $1)`, fmt.Sprintf("r%d 1 0:", n)); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if mode == "after" {
		return layer.Publish(ctx, numeneon.Envelope{UserID: n % 1000, ID: n, Frame: benchFrame})
	}
	return nil
}
