package bench

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// progress prints a line a second while a scenario runs.
type progress struct {
	done chan struct{}
	quit chan struct{}
}

func newProgress(w io.Writer, name string, sent, delivered *atomic.Int64) *progress {
	p := &progress{done: make(chan struct{}), quit: make(chan struct{})}
	if w == nil {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		start := time.Now()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastSent, lastDelivered int64
		for {
			select {
			case <-p.quit:
				return
			case <-tick.C:
				s, d := sent.Load(), delivered.Load()
				fmt.Fprintf(w, "%s %5.0fs  sent %d (%d/s)  delivered %d (%d/s)\n", name, time.Since(start).Seconds(), s, s-lastSent, d, d-lastDelivered)
				lastSent, lastDelivered = s, d
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}
