package pglayer

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/numeneon/numeneon"
)

// Reconnect backoff of the listening connection.
const (
	minReconnectDelay = 100 * time.Millisecond
	maxReconnectDelay = 5 * time.Second
)

// readTimeout bounds one read of stored events whose frames did not travel.
const readTimeout = 5 * time.Second

// dialListener opens a connection and makes it listen on the channel.
func (l *Layer) dialListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := l.dial(ctx, "listener", nil)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.cfg.Channel}.Sanitize()); err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// runListener receives on the listening connection until it breaks, then
// replaces it, until Close.
func (l *Layer) runListener(conn *pgx.Conn) {
	defer l.wg.Done()
	reconnected := false
	for {
		err := l.receive(conn, reconnected)
		l.setUp(false)
		_ = conn.Close(context.Background())
		if l.ctx.Err() != nil {
			return
		}
		l.log.Warn("postgres listening connection lost, reconnecting", "err", err)
		if conn = l.reconnect(); conn == nil {
			return
		}
		reconnected = true
	}
}

// reconnect dials until a connection listens, with a growing delay between
// attempts. It returns nil when the layer closes.
func (l *Layer) reconnect() *pgx.Conn {
	delay := minReconnectDelay
	for {
		// Jitter keeps the processes of a deployment from all dialing at
		// the same instant after a database restart.
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-time.After(wait):
		case <-l.ctx.Done():
			return nil
		}
		conn, err := l.dialListener(l.ctx)
		if err == nil {
			return conn
		}
		if l.ctx.Err() != nil {
			return nil
		}
		l.log.Warn("postgres listening connection: reconnect failed", "err", err, "retry_in", delay)
		delay = min(2*delay, maxReconnectDelay)
	}
}

// receive hands what arrives on conn to the handler until conn breaks or the
// layer closes. After a reconnect it tells the handler, once the connection
// listens again, that envelopes may have been lost meanwhile.
//
// It reads without a timeout and sends nothing while idle: TCP keepalive
// breaks the read when the server is gone.
func (l *Layer) receive(conn *pgx.Conn, reconnected bool) error {
	l.setUp(true)
	if reconnected {
		if h := l.currentHandler(); h != nil {
			h.LayerReconnected()
		}
		l.log.Info("postgres listening connection restored")
	}
	var wanted []record
	for {
		n, err := conn.WaitForNotification(l.ctx)
		if err != nil {
			return err
		}
		wanted = l.deliver(n.Payload, wanted[:0])
	}
}

// deliver hands the envelopes of payload that this process wants to the
// handler, in order, reading from the store those whose frames did not
// travel.
func (l *Layer) deliver(payload string, wanted []record) []record {
	_, body, ok := strings.Cut(payload, ";")
	if !ok {
		l.log.Warn("postgres layer: a notification without a sequence number was dropped", "payload_bytes", len(payload))
		return wanted
	}
	refs := 0
	err := decodePayload(body, func(r record) {
		if _, ok := l.subscribed(r.env.UserID); ok {
			wanted = append(wanted, r)
			if r.ref {
				refs++
			}
		}
	})
	if err != nil {
		l.log.Warn("postgres layer: a malformed notification was dropped", "err", err, "payload_bytes", len(payload))
	}
	lost := false
	if refs > 0 {
		lost = l.readStored(wanted, refs)
	}
	for _, r := range wanted {
		if r.ref && r.env.Frame == nil {
			continue
		}
		// Checked again: Unsubscribe may have returned meanwhile.
		if h, ok := l.subscribed(r.env.UserID); ok {
			h.DeliverEnvelope(r.env)
		}
	}
	if lost {
		// The hub reads what it misses from the store, as after a
		// reconnect.
		if h := l.currentHandler(); h != nil {
			h.LayerReconnected()
		}
	}
	return wanted
}

// readStored fills in the frames of the reference records of wanted from
// the store, in one read. It reports whether one could not be read.
func (l *Layer) readStored(wanted []record, refs int) (lost bool) {
	keys := make([]numeneon.Envelope, 0, refs)
	for _, r := range wanted {
		if r.ref {
			keys = append(keys, r.env)
		}
	}
	ctx, cancel := context.WithTimeout(l.ctx, readTimeout)
	defer cancel()
	got, err := l.cfg.Events.StoredEnvelopes(ctx, keys)
	if err != nil {
		l.log.Warn("postgres layer: read stored events", "err", err, "events", len(keys))
		return true
	}
	type key struct{ user, id int64 }
	frames := make(map[key][]byte, len(got))
	for _, env := range got {
		frames[key{env.UserID, env.ID}] = env.Frame
	}
	for i := range wanted {
		r := &wanted[i]
		if !r.ref {
			continue
		}
		frame, ok := frames[key{r.env.UserID, r.env.ID}]
		if !ok {
			l.log.Warn("postgres layer: a stored event is not in the store", "user_id", r.env.UserID, "id", r.env.ID)
			lost = true
			continue
		}
		if frame == nil {
			frame = []byte{}
		}
		r.env.Frame = frame
	}
	return lost
}
