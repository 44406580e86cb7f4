package postgres_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
)

// BenchmarkCreateMessageWithNotification measures the write path of a direct
// message: one Update inserting the message and the receiver's notification
// (which takes the receiver's counter row lock). Senders and receivers
// rotate over a small set of users, so some transactions contend for the
// same counter, as in a busy chat.
func BenchmarkCreateMessageWithNotification(b *testing.B) {
	s := MustOpenStore(b)
	ctx := context.Background()
	const nUsers = 16
	users := make([]*numeneon.User, nUsers)
	for i := range users {
		u := &numeneon.User{Username: "user" + string(rune('a'+i)), Email: string(rune('a'+i)) + "@example.com", IsActive: true}
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
			b.Fatal(err)
		}
		users[i] = u
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			from, to := users[i%nUsers], users[(i+1)%nUsers]
			err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
				m := &numeneon.Message{SenderID: from.ID, ReceiverID: to.ID, Content: "hello there"}
				if err := tx.CreateMessage(ctx, m); err != nil {
					return err
				}
				data, err := json.Marshal(map[string]any{"id": m.ID, "sender": map[string]any{"id": from.ID, "username": from.Username}, "content": m.Content})
				if err != nil {
					return err
				}
				return tx.CreateNotification(ctx, &numeneon.Notification{UserID: to.ID, Type: numeneon.EventNewMessage, Data: data})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
