package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
)

// probeTimeout bounds a Probe when ctx allows longer.
const probeTimeout = time.Second

// Probe proves that the channel layer delivers to this process end to end:
// it publishes a loopback envelope to a synthetic channel of this hub (a
// negative user id no user has) and waits for it to come back. It returns an
// EUNAVAILABLE error when the envelope does not arrive before ctx ends or
// within a second. Safe for concurrent use.
func (h *Hub) Probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := h.cfg.Layer.Subscribe(ctx, h.probeID); err != nil {
		return fmt.Errorf("subscribe to the probe channel: %w", err)
	}

	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	data, _ := json.Marshal(map[string]string{"nonce": hex.EncodeToString(nonce[:])})
	frame := numeneon.EventFrame("probe", data, 0)
	arrived := make(chan struct{})
	h.probeMu.Lock()
	h.probeWaiters[string(frame)] = arrived
	h.probeMu.Unlock()
	defer func() {
		h.probeMu.Lock()
		delete(h.probeWaiters, string(frame))
		h.probeMu.Unlock()
	}()

	if err := h.cfg.Layer.Publish(ctx, numeneon.Envelope{UserID: h.probeID, Frame: frame}); err != nil {
		return fmt.Errorf("publish the probe envelope: %w", err)
	}
	select {
	case <-arrived:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the probe envelope: %w: %w",
			numeneon.Errorf(numeneon.EUNAVAILABLE, "The channel layer did not deliver a loopback event."), ctx.Err())
	}
}

// probeArrived is called from DeliverEnvelope for the probe channel.
func (h *Hub) probeArrived(frame []byte) {
	h.probeMu.Lock()
	defer h.probeMu.Unlock()
	if ch, ok := h.probeWaiters[string(frame)]; ok {
		close(ch)
		delete(h.probeWaiters, string(frame))
	}
}
