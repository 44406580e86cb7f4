package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/numeneon/numeneon/client"
)

// tracker matches delivered new_message events to the moment their POST
// started, by their unique content.
type tracker struct {
	sent      sync.Map // content → time.Time
	delivery  Recorder
	delivered atomic.Int64
}

func (t *tracker) started(content string, at time.Time) { t.sent.Store(content, at) }

func (t *tracker) onEvent(ev client.Event) {
	if ev.Type != "new_message" {
		return
	}
	var d struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(ev.Data, &d) != nil {
		return
	}
	if v, ok := t.sent.LoadAndDelete(d.Content); ok {
		t.delivery.Add(time.Since(v.(time.Time)))
		t.delivered.Add(1)
	}
}

// followAll opens a resuming stream for each user on its socket target.
func followAll(ctx context.Context, users []*client.Client, socketTarget func(i int) string, onEvent func(client.Event)) ([]*client.Stream, error) {
	streams := make([]*client.Stream, len(users))
	for i, u := range users {
		s, err := u.Stream(ctx, []string{socketTarget(i)}, 0, onEvent)
		if err != nil {
			for _, s := range streams[:i] {
				s.Close()
			}
			return nil, fmt.Errorf("open socket of user %d: %w", u.UserID, err)
		}
		streams[i] = s
	}
	return streams, nil
}

// reconcile waits (up to wait) until every stream has every event its user
// has stored, then returns how many stored events never arrived and how many
// arrived twice. The store is the truth: it holds every event a client must
// get, including those of requests whose answer was lost.
func reconcile(ctx context.Context, users []*client.Client, streams []*client.Stream, wait time.Duration) (stored, lost, dups int64, err error) {
	deadline := time.Now().Add(wait)
	for i, u := range users {
		var ids []int64
		var since int64
		for {
			page, err := u.Notifications(ctx, since, 500)
			if err != nil {
				return 0, 0, 0, fmt.Errorf("list stored events of user %d: %w", u.UserID, err)
			}
			for _, n := range page {
				ids = append(ids, n.ID)
				since = n.ID
			}
			if len(page) < 500 {
				break
			}
		}
		stored += int64(len(ids))
		if len(ids) > 0 {
			wctx, cancel := context.WithDeadline(ctx, deadline)
			_ = streams[i].WaitFor(wctx, ids[len(ids)-1])
			cancel()
		}
		r := streams[i].Report()
		got := make(map[int64]bool, len(r.Events))
		for _, ev := range r.Events {
			got[ev.ID] = true
		}
		for _, id := range ids {
			if !got[id] {
				lost++
			}
		}
		dups += int64(r.Duplicates)
	}
	return stored, lost, dups, nil
}
