package redis

// Abandon stops the goroutines and drops the connections without removing
// the node's entries, as a process killed with SIGKILL would: its kernel
// closes its connections, so Redis stops counting its subscriber.
func (p *Presence) Abandon() {
	p.closeOnce.Do(func() {
		p.stop()
		_ = p.client.Close()
	})
}

// StopBeating makes the node go silent while it keeps its connections, as a
// process whose machine vanished (Redis still counts its half-open
// subscriber connection) or a stalled one would.
func (p *Presence) StopBeating() {
	p.mu.Lock()
	p.beatsOff = true
	p.mu.Unlock()
}

// Node returns the node id.
func (p *Presence) Node() string { return p.node }

// FailNextPublishes makes the next n pipelines fail without reaching Redis,
// as a broken connection would.
func (l *Layer) FailNextPublishes(n int) {
	l.failPublishes.Store(int64(n))
}
