package api

import (
	"strings"
	"sync"
	"time"
)

// The per-account failed-login limit (login_account) stops a guesser spread
// over many addresses, but on its own it would let a stranger lock a user out
// of their own account: spend the account's budget with wrong guesses and
// the right password gets 429 too. So an address the account signed in from
// successfully before keeps a budget of its own: while the account's budget
// is spent, a login from such an address is still tried, and its failures
// are counted against that address's own budget (the same rate as
// login_account). A stranger cannot name the user's addresses; one sharing an
// address with the user (a carrier's NAT) gets that one budget more, no more.

// maxKnownSignIns bounds the remembered (account, address) pairs, about
// 5 MB at this bound. Past it the pairs least recently used are forgotten
// first; a forgotten pair only means that address waits like any other while
// its account's budget is spent.
const maxKnownSignIns = 50000

// loginAccountKey is the login_account key of the email a login names: its
// case and surrounding spaces do not make a fresh budget.
func loginAccountKey(email string) string {
	return "account:" + strings.ToLower(strings.TrimSpace(email))
}

// knownKey is the key of an (account, address) pair.
func knownKey(account, client string) string { return account + " " + client }

// loginAllowed reports whether a login to account from client may be tried;
// when not, how long until it may.
func (rl *rateLimits) loginAllowed(account, client string) (bool, time.Duration) {
	ok, wait := rl.available("login_account", account)
	if ok || rl.knownSignIns == nil || !rl.knownSignIns.has(knownKey(account, client)) {
		return ok, wait
	}
	if ok, _ := rl.knownFailures.available(knownKey(account, client), time.Now()); ok {
		return true, 0
	}
	return false, wait
}

// loginFailed counts a failed login to account from client: against the
// account's budget, or, once that is spent (the attempt came from a known
// address), against the address's own.
func (rl *rateLimits) loginFailed(account, client string) {
	if ok, _ := rl.allow("login_account", account); ok || rl.knownFailures == nil {
		return
	}
	rl.knownFailures.allow(knownKey(account, client), time.Now())
}

// loginSucceeded remembers that client signed in to account.
func (rl *rateLimits) loginSucceeded(account, client string) {
	if rl.knownSignIns != nil {
		rl.knownSignIns.add(knownKey(account, client))
	}
}

// signInLog is a bounded set of keys that forgets the least recently used
// first, in two generations: keys go into the current one; when it holds
// half the bound it becomes the previous one and the old previous one is
// dropped. A key found in the previous generation moves to the current one.
// Every key used within the last half bound of additions is kept.
type signInLog struct {
	max int

	mu       sync.Mutex
	current  map[string]struct{}
	previous map[string]struct{}
}

func newSignInLog(max int) *signInLog {
	return &signInLog{max: max, current: map[string]struct{}{}, previous: map[string]struct{}{}}
}

func (l *signInLog) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addLocked(key)
}

func (l *signInLog) addLocked(key string) {
	if _, ok := l.current[key]; ok {
		return
	}
	if len(l.current) >= l.max/2 {
		l.previous, l.current = l.current, make(map[string]struct{}, l.max/2)
	}
	l.current[key] = struct{}{}
	delete(l.previous, key)
}

func (l *signInLog) has(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.current[key]; ok {
		return true
	}
	if _, ok := l.previous[key]; ok {
		l.addLocked(key)
		return true
	}
	return false
}

// len returns the number of keys held.
func (l *signInLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.current) + len(l.previous)
}
