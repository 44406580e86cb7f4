package api

import (
	"net/http"
)

// handleBlockUser blocks a user: 200 {message}. It ends the friendship and
// the pending requests between the two (app.BlockUser).
func (s *Server) handleBlockUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.BlockUser(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "User blocked"})
}

// handleUnblockUser lifts the caller's block of a user: 200 {message}.
func (s *Server) handleUnblockUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.UnblockUser(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "User unblocked"})
}

// handleListBlocked returns the users the caller blocked, as user cards.
func (s *Server) handleListBlocked(w http.ResponseWriter, r *http.Request) {
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	users, err := s.app.ListBlocked(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newUserCards(users, false))
}
