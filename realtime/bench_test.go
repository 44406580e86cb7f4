package realtime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

// BenchmarkFanout measures one envelope delivered by the hub to N local
// sockets of a user, until every socket's client has read it.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			e := newEnv(b, func(c *realtime.Config) { c.SocketsPerUser = n })
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

// BenchmarkFanoutToFriends measures what a post to N connected friends
// costs the hub: N users with one socket each, one Publish call carrying an
// envelope per friend (as the app publishes after commit), until the last
// friend's client has read it. It reports the time to the last friend.
func BenchmarkFanoutToFriends(b *testing.B) {
	for _, n := range []int{200, 1000, 5000} {
		b.Run(fmt.Sprintf("friends=%d", n), func(b *testing.B) {
			e := newEnv(b, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			read := make(chan struct{}, n)
			users := make([]*numeneon.User, n)
			for i := range users {
				users[i] = e.createUser(b, fmt.Sprintf("friend%d", i))
				c := e.dial(b, users[i], "")
				go func() {
					for {
						if _, _, err := c.conn.Read(ctx); err != nil {
							return
						}
						read <- struct{}{}
					}
				}()
			}
			frame := numeneon.EventFrame(numeneon.EventNewPost, []byte(`{"content":"hello, friends"}`), 0)
			envs := make([]numeneon.Envelope, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j, u := range users {
					envs[j] = numeneon.Envelope{UserID: u.ID, ID: int64(i + 1), Frame: frame}
				}
				if err := e.layer.Publish(ctx, envs...); err != nil {
					b.Fatal(err)
				}
				for range n {
					<-read
				}
			}
			b.StopTimer()
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/post")
		})
	}
}

// BenchmarkReplay measures a resume: a socket that connects with since=0
// while N events are stored for its user, until its client has read the
// last one. It reports the replayed events per second.
func BenchmarkReplay(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			e := newEnv(b, func(c *realtime.Config) { c.SocketsPerUser = 1 << 20 })
			u := e.createUser(b, "replayer")
			err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
				for range n {
					n := &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage, Data: []byte(`{"content":"stored while away"}`)}
					if err := tx.CreateNotification(ctx, n); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := e.dial(b, u, "since=0")
				c.readIDs(int64(n))
				c.conn.CloseNow()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
