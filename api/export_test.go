package api

// LimiterKeys returns how many clients rate limit class remembers.
func (s *Server) LimiterKeys(class string) int {
	if k := s.limits.classes[class]; k != nil {
		return k.len()
	}
	return 0
}

// SignInLog is the bounded set of known sign-ins, for its own tests.
type SignInLog = signInLog

func NewSignInLog(max int) *SignInLog    { return newSignInLog(max) }
func (l *signInLog) Add(key string)      { l.add(key) }
func (l *signInLog) Has(key string) bool { return l.has(key) }
func (l *signInLog) Len() int            { return l.len() }
