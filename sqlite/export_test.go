package sqlite

import "sync/atomic"

// CountQueries makes s count the statements its read methods run and
// returns the counter.
func CountQueries(s *Store) *atomic.Int64 {
	s.rq.queries = new(atomic.Int64)
	return s.rq.queries
}
