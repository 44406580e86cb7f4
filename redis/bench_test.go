package redis_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
)

// BenchmarkPublish publishes one envelope per call from 8×GOMAXPROCS
// goroutines to users subscribed by a second layer (another process), on a
// private server, waits until all arrived, and reports the Redis commands per
// envelope: below 1 when concurrent envelopes of one user share a PUBLISH,
// which is likelier the fewer users share the traffic.
func BenchmarkPublish(b *testing.B) {
	for _, users := range []int{1000, 10} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchmarkPublish(b, users) })
	}
}

func benchmarkPublish(b *testing.B, users int) {
	srv := testsvc.StartRedis(b)
	admin := adminClient(b, srv.URL)
	opts := testOptions(b, srv.URL)
	opts.Logger = nil // the default logger: b.Log output is not wanted per iteration
	pub := mustNewLayer(b, opts)
	sub := mustNewLayer(b, opts)
	rec := layertest.NewRecorder()
	sub.Listen(rec)
	pub.Listen(layertest.NewRecorder())
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if err := sub.Subscribe(b.Context(), ids...); err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	frame := []byte(`{"type":"new_message","data":{"id":1,"sender":{"id":2,"username":"ada"},"content":"hello"},"id":1}`)

	before := commandCalls(b, admin)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			env := numeneon.Envelope{UserID: n%int64(users) + 1, ID: n, Frame: frame}
			if err := pub.Publish(b.Context(), env); err != nil {
				b.Errorf("Publish: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	after := commandCalls(b, admin)
	published := int(next.Load())
	rec.WaitFor(b, fmt.Sprintf("%d envelopes delivered", published), func(r *layertest.Recorder) bool {
		return r.Total() >= published
	})
	var cmds int64
	for name, n := range after {
		if name != "info" {
			cmds += n - before[name]
		}
	}
	b.ReportMetric(float64(cmds)/float64(published), "redis-cmds/envelope")
}

// BenchmarkFanout is the layer's part of a fan-out: one Publish carrying an
// envelope for each of N friends, until the other process has received the
// last one (BenchmarkFanout in ./pglayer is the same on PostgreSQL).
func BenchmarkFanout(b *testing.B) {
	for _, friends := range []int{200, 1000, 5000} {
		b.Run(fmt.Sprintf("friends=%d", friends), func(b *testing.B) {
			url := testsvc.RedisURL(b)
			opts := testOptions(b, url)
			opts.Logger = nil
			pub, sub := mustNewLayer(b, opts), mustNewLayer(b, opts)
			rec := layertest.NewRecorder()
			sub.Listen(rec)
			pub.Listen(layertest.NewRecorder())
			ids := make([]int64, friends)
			for i := range ids {
				ids[i] = int64(i + 1)
			}
			if err := sub.Subscribe(b.Context(), ids...); err != nil {
				b.Fatalf("Subscribe: %v", err)
			}
			frame := []byte(`{"type":"new_message","data":{"id":1,"sender":{"id":2,"username":"ada"},"content":"hello"},"id":1}`)
			envs := make([]numeneon.Envelope, friends)
			b.ResetTimer()
			for i := range b.N {
				for f := range envs {
					envs[f] = numeneon.Envelope{UserID: int64(f + 1), ID: int64(i + 1), Frame: frame}
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
