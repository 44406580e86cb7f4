package api

import (
	"net/http"

	"github.com/numeneon/numeneon/app"
)

// reportRequest is the body of POST /api/reports/.
type reportRequest struct {
	UserID    flexID    `json:"user_id"`
	MessageID flexID    `json:"message_id"`
	Reason    optString `json:"reason"`
}

// reportBody is a stored report as its author sees it.
type reportBody struct {
	ID        int64  `json:"id"`
	UserID    int64  `json:"user_id"`
	MessageID *int64 `json:"message_id"`
	Reason    string `json:"reason"`
	CreatedAt string `json:"created_at"`
}

// handleReport stores a report of a user or a message for the operator:
// 201 with the report.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	var in reportRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.app.Report(r.Context(), app.NewReport{UserID: in.UserID.Value, MessageID: in.MessageID.Value, Reason: in.Reason.Value})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, reportBody{ID: rep.ID, UserID: rep.UserID, MessageID: rep.MessageID,
		Reason: rep.Reason, CreatedAt: app.FormatTime(rep.CreatedAt)})
}
