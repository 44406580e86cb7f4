package realtime

import "time"

// pingClock schedules a socket's WebSocket pings, one every PingInterval
// counted from the last ping sent, and notices a peer that stops answering
// them: a pong is due within WriteTimeout of the oldest unanswered ping.
// It belongs to the socket's writer.
type pingClock struct {
	interval   time.Duration
	nextPing   time.Time
	unanswered time.Time // when the oldest unanswered ping was sent; zero: none
	pongs      uint64    // the connection's pong count when that ping was sent
}

// pingVerdict is what a socket's writer must do when its timer fires.
type pingVerdict uint8

const (
	pingNotDue pingVerdict = iota
	pingDue                // send a ping now
	peerSilent             // the last ping went unanswered: the peer is gone
)

// start schedules the first ping one interval after now.
func (p *pingClock) start(now time.Time, interval time.Duration) {
	p.interval, p.nextPing = interval, now.Add(interval)
}

// check says what is due at now, given the connection's pong count, the
// pong wait and whether a message of the client is being handled (its pong
// may wait behind that message: the wait starts again rather than the
// peer being given up).
func (p *pingClock) check(now time.Time, pongs uint64, pongWait time.Duration, handling bool) pingVerdict {
	if !p.unanswered.IsZero() && pongs != p.pongs {
		p.unanswered = time.Time{}
	}
	if !p.unanswered.IsZero() && !now.Before(p.unanswered.Add(pongWait)) {
		if !handling {
			return peerSilent
		}
		p.unanswered = now
	}
	if !now.Before(p.nextPing) {
		return pingDue
	}
	return pingNotDue
}

// sent records a ping sent at now, when the connection had seen pongs.
func (p *pingClock) sent(now time.Time, pongs uint64) {
	if p.unanswered.IsZero() {
		p.unanswered, p.pongs = now, pongs
	}
	p.nextPing = now.Add(p.interval)
}

// next is when the clock needs looking at again: the next ping, or the end
// of the wait for a pong.
func (p *pingClock) next(pongWait time.Duration) time.Time {
	at := p.nextPing
	if !p.unanswered.IsZero() {
		if due := p.unanswered.Add(pongWait); due.Before(at) {
			at = due
		}
	}
	return at
}
