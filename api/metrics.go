package api

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics measures request latency per route pattern, and the requests
// being answered. Labelling by the pattern, not the path, keeps the number of
// series fixed whatever ids and usernames clients send.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// newHTTPMetrics registers the metrics with reg; a nil reg measures nothing.
func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	if reg == nil {
		return &httpMetrics{}, nil
	}
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "numeneon",
			Name:      "http_request_duration_seconds",
			Help:      "Time to answer an HTTP request, by method, route pattern and status.",
			Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
	}
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "numeneon",
		Name:      "http_requests_in_flight",
		Help:      "HTTP requests being answered now (a WebSocket until its handshake is answered); a draining process shows what it still has to finish.",
	})
	if err := reg.Register(m.duration); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
		m.duration = already.ExistingCollector.(*prometheus.HistogramVec)
	}
	if err := reg.Register(m.inFlight); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
		m.inFlight = already.ExistingCollector.(prometheus.Gauge)
	}
	return m, nil
}

// begin counts a request in flight until the function it returns is called.
func (m *httpMetrics) begin() (end func()) {
	if m.inFlight == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}

func (m *httpMetrics) observe(method, route string, status int, elapsed time.Duration) {
	if m.duration == nil {
		return
	}
	if route == "" {
		// Unmatched requests carry whatever method and path a scanner
		// invents; one series holds them all.
		route, method = "unmatched", "other"
	}
	m.duration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())
}
