package realtime

import (
	"context"
	"encoding/json"

	"github.com/numeneon/numeneon"
)

// presenceChange is a user who came online or went offline, to be told to
// the user's friends.
type presenceChange struct {
	userID int64
	online bool
}

// announcePresence queues changes for the hub's presence goroutine, which
// tells friends in the order the changes were queued: a user who connects
// and leaves at once is seen online, then offline. Telling friends takes a
// store read and a publish, so it is kept off the handshake: the socket is
// open before its friends hear of it. The caller holds a count on h.wg, so
// the goroutine started here is one Close waits for.
func (h *Hub) announcePresence(changes ...presenceChange) {
	h.presenceMu.Lock()
	defer h.presenceMu.Unlock()
	h.presenceQueue = append(h.presenceQueue, changes...)
	if h.presenceRunning {
		return
	}
	h.presenceRunning = true
	h.wg.Add(1)
	go h.runPresence()
}

// runPresence tells friends of the queued changes until none is left.
func (h *Hub) runPresence() {
	defer h.wg.Done()
	var batch []presenceChange
	for {
		h.presenceMu.Lock()
		batch, h.presenceQueue = h.presenceQueue, batch[:0]
		if len(batch) == 0 {
			h.presenceRunning = false
			h.presenceMu.Unlock()
			return
		}
		h.presenceMu.Unlock()
		for _, c := range batch {
			// Not the hub's context: offline changes are told during a
			// shutdown too.
			ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
			h.publishPresence(ctx, c.userID, c.online)
			cancel()
		}
		clear(batch)
	}
}

// publishPresence tells the user's presence audience (Rules) whether the
// user is online.
// Presence events are not stored (id 0): a missed one is corrected by the
// next. Failures are logged, never returned: they must not stop a socket.
func (h *Hub) publishPresence(ctx context.Context, userID int64, online bool) {
	audience, err := h.cfg.Rules.PresenceAudience(ctx, userID)
	if err != nil {
		h.log.Warn("find the presence audience", "user_id", userID, "error", err)
		return
	}
	if len(audience) == 0 {
		return
	}
	data, _ := json.Marshal(struct {
		UserID int64 `json:"user_id"`
		Online bool  `json:"online"`
	}{userID, online})
	frame := numeneon.EventFrame(numeneon.EventPresence, data, 0)
	envs := make([]numeneon.Envelope, len(audience))
	for i, id := range audience {
		envs[i] = numeneon.Envelope{UserID: id, Frame: frame}
	}
	if err := h.cfg.Layer.Publish(ctx, envs...); err != nil {
		h.log.Warn("publish presence", "user_id", userID, "error", err)
	}
}
