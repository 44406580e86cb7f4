package app

import "time"

// UseClock makes the service read the time from now instead of time.Now,
// so tests can move a story past its expiry without waiting. Call it before
// serving.
func (s *Service) UseClock(now func() time.Time) {
	s.now = now
}

// clock returns the service's current time, in UTC at the microsecond
// precision both databases keep, so what is stored reads back equal.
func (s *Service) clock() time.Time {
	t := time.Now()
	if s.now != nil {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}
