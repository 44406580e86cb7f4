package app

// MusicWaiting returns how many music searches wait for the catalogue now.
func (s *Service) MusicWaiting() int64 {
	if s.music == nil {
		return 0
	}
	return s.music.waiting.Load()
}
