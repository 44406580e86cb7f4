package api

import (
	"net/http"
	"strconv"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// handleListNotifications returns the caller's stored events with id >
// ?since=, ascending, at most ?limit= of them.
func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, numeneon.FieldError("since", "A valid non-negative integer is required."))
			return
		}
		since = n
	}
	limit, err := queryLimit(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	notes, err := s.app.ListNotifications(r.Context(), since, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]notification, len(notes))
	for i, n := range notes {
		out[i] = notification{ID: n.ID, Type: n.Type, Data: n.Data, CreatedAt: app.FormatTime(n.CreatedAt), Read: n.Read}
	}
	writeJSON(w, http.StatusOK, out)
}

// markReadRequest is the body of POST /api/notifications/read/.
type markReadRequest struct {
	UpTo flexID `json:"up_to"`
}

// handleMarkNotificationsRead marks events up to {up_to} read.
func (s *Server) handleMarkNotificationsRead(w http.ResponseWriter, r *http.Request) {
	var in markReadRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !in.UpTo.Set {
		s.writeError(w, r, numeneon.FieldError("up_to", "This field is required."))
		return
	}
	n, err := s.app.MarkNotificationsRead(r.Context(), in.UpTo.Value)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"marked_read": n})
}
