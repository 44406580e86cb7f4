package realtime

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hub's Prometheus collectors. Without a Registerer they
// still count, unregistered, so the code paths never check for nil.
type metrics struct {
	socketsOpen prometheus.Gauge
	delivered   prometheus.Counter
	replayed    prometheus.Counter
	duplicates  prometheus.Counter
	gapFills    prometheus.Counter
	overflows   prometheus.Counter
	// writeTimeouts are sockets aborted because a write did not finish in
	// time: a client that stopped reading cannot receive a close frame.
	writeTimeouts prometheus.Counter
	rejected      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	counter := func(name, help string) prometheus.Counter {
		return register(reg, log, prometheus.NewCounter(prometheus.CounterOpts{Namespace: "numeneon", Subsystem: "ws", Name: name, Help: help}))
	}
	return &metrics{
		socketsOpen: register(reg, log, prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "numeneon", Subsystem: "ws", Name: "sockets_open", Help: "WebSocket connections open on this process.",
		})),
		delivered:     counter("events_delivered_total", "Live events written to sockets."),
		replayed:      counter("events_replayed_total", "Stored events written to sockets from the store (resume, gap fill, catch-up)."),
		duplicates:    counter("events_duplicate_dropped_total", "Live events dropped because the socket had already been sent their id."),
		gapFills:      counter("gap_fills_total", "Live events whose id skipped ahead, so the socket filled the gap from the store first."),
		overflows:     counter("queue_overflows_total", "Sockets closed with 4008 because their queue overflowed."),
		writeTimeouts: counter("write_timeouts_total", "Sockets aborted without a close frame because a write did not finish within the write timeout (the client stopped reading)."),
		rejected: register(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "numeneon", Subsystem: "ws", Name: "handshakes_rejected_total", Help: "WebSocket handshakes refused, by reason.",
		}, []string{"reason"})),
	}
}

// register registers c, or returns the collector already registered under
// the same name (a second hub in the same process, as in tests), so hubs
// never panic over metrics. Any other conflict is logged and c counts
// unregistered.
func register[C prometheus.Collector](reg prometheus.Registerer, log *slog.Logger, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		log.Warn("register hub metric", "error", err)
	}
	return c
}
