// Package bench is NUMENEON's load tool (numeneon bench). It drives any
// deployment through its public HTTP API and WebSocket only, so the same
// command measures a laptop, two workers on loopback or instances on
// several machines, and checks while it measures that no event is lost or
// duplicated.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/numeneon/numeneon/client"
)

// Options configure a run. Zero values are the documented defaults.
type Options struct {
	Targets     []string      // base URLs, one per worker or instance (default http://127.0.0.1:8000)
	Users       int           // users (crossworker: pairs; throughput: sender/receiver pairs) (default 16)
	Concurrency int           // closed loop: senders in flight (default 16)
	Rate        float64       // open loop: messages per second (0: closed loop)
	Duration    time.Duration // how long to send (default 10s)
	Messages    int           // crossworker: messages each way per pair (default 20)
	Sockets     int           // sockets: how many to open (default 1000)
	SourceAddrs []string      // sockets: local addresses to dial from (127.0.0.x), to pass 60,000 sockets
	PIDs        []int         // server processes whose RSS is read
	RedisURL    string        // Redis whose commands are counted (sockets: while idle; throughput: per delivered event)
	Hold        time.Duration // sockets: how long to hold them idle before measuring (default 10s)
	Friends     int           // feed, fanout: friends of the reading or posting user (default 500, 200)
	Posts       int           // feed: posts written by the friends (default 20,000); fanout: posts sent (default 20)
	Password    string        // password of the users the run creates
	Progress    io.Writer     // progress lines (nil: none)
}

func (o *Options) defaults() {
	if len(o.Targets) == 0 {
		o.Targets = []string{"http://127.0.0.1:8000"}
	}
	for i, t := range o.Targets {
		o.Targets[i] = strings.TrimRight(t, "/")
	}
	if o.Users <= 0 {
		o.Users = 16
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Messages <= 0 {
		o.Messages = 20
	}
	if o.Sockets <= 0 {
		o.Sockets = 1000
	}
	if o.Hold <= 0 {
		o.Hold = 10 * time.Second
	}
	if o.Password == "" {
		o.Password = "bench-password-1"
	}
}

// target returns the i-th target, wrapping around.
func (o *Options) target(i int) string { return o.Targets[i%len(o.Targets)] }

// other returns a target other than the i-th one when there are several.
func (o *Options) other(i int) string { return o.Targets[(i+1)%len(o.Targets)] }

// Result is the outcome of a scenario: a human summary and a JSON line.
type Result struct {
	Scenario   string             `json:"scenario"`
	Targets    []string           `json:"targets"`
	Sent       int64              `json:"sent"`
	Delivered  int64              `json:"delivered"`
	Lost       int64              `json:"lost"`
	Duplicated int64              `json:"duplicated"`
	Errors     int64              `json:"errors"`
	Seconds    float64            `json:"seconds"`
	Figures    map[string]float64 `json:"figures"`
	Latency    map[string]Summary `json:"latency_ms,omitempty"`
}

// Failed reports whether the run lost or duplicated events.
func (r *Result) Failed() bool { return r.Lost > 0 || r.Duplicated > 0 }

// WriteSummary writes the human summary.
func (r *Result) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\n%s against %s (%.1fs)\n", r.Scenario, strings.Join(r.Targets, ", "), r.Seconds)
	fmt.Fprintf(w, "  sent %d, delivered %d, lost %d, duplicated %d, errors %d\n", r.Sent, r.Delivered, r.Lost, r.Duplicated, r.Errors)
	for _, k := range sortedKeys(r.Figures) {
		fmt.Fprintf(w, "  %-28s %.2f\n", k, r.Figures[k])
	}
	for _, k := range sortedKeys(r.Latency) {
		s := r.Latency[k]
		fmt.Fprintf(w, "  %-28s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms (n=%d)\n", k, s.P50, s.P90, s.P99, s.Max, s.N)
	}
}

// WriteJSON writes the result as one JSON line.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// Run runs one scenario.
func Run(ctx context.Context, scenario string, o Options) (*Result, error) {
	o.defaults()
	var r *Result
	var err error
	start := time.Now()
	switch scenario {
	case "crossworker":
		r, err = runCrossworker(ctx, &o)
	case "throughput":
		r, err = runThroughput(ctx, &o)
	case "sockets":
		r, err = runSockets(ctx, &o)
	case "conversations":
		r, err = runConversations(ctx, &o)
	case "feed":
		r, err = runFeed(ctx, &o)
	case "fanout":
		r, err = runFanout(ctx, &o)
	default:
		return nil, fmt.Errorf("unknown scenario %q (want crossworker, throughput, sockets, conversations, feed or fanout)", scenario)
	}
	if r != nil {
		r.Scenario, r.Targets = scenario, o.Targets
		if r.Seconds == 0 {
			r.Seconds = time.Since(start).Seconds()
		}
	}
	return r, err
}

// newHTTPClient returns the HTTP client every simulated user shares.
func newHTTPClient() *http.Client { return client.DefaultHTTPClient() }
