package realtime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/numeneon/numeneon"
)

// BenchmarkFanout measures one envelope delivered by the hub to N local
// sockets of a user, until every socket's client has read it.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			e := newEnv(b, nil)
			u := e.createUser(b, "fan")
			read := make(chan error, n)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for i := 0; i < n; i++ {
				c := e.dial(b, u, "")
				go func() {
					for {
						_, _, err := c.conn.Read(ctx)
						if err != nil {
							return
						}
						read <- nil
					}
				}()
			}
			frame := numeneon.EventFrame(numeneon.EventNewMessage, []byte(`{"content":"hello, everyone"}`), 0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				env := numeneon.Envelope{UserID: u.ID, ID: int64(i + 1), Frame: frame}
				if err := e.layer.Publish(ctx, env); err != nil {
					b.Fatal(err)
				}
				for j := 0; j < n; j++ {
					<-read
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
