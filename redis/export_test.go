package redis

// Abandon stops the heartbeat and drops the connection without removing the
// node's entries, as a process killed with SIGKILL would.
func (p *Presence) Abandon() {
	p.closeOnce.Do(func() {
		p.stop()
		_ = p.client.Close()
	})
}

// Node returns the node id.
func (p *Presence) Node() string { return p.node }

// FailNextPublishes makes the next n pipelines fail without reaching Redis,
// as a broken connection would.
func (l *Layer) FailNextPublishes(n int) {
	l.failPublishes.Store(int64(n))
}
