package api

import (
	"net/http"
	"strconv"

	"github.com/numeneon/numeneon"
)

// handleListMessages returns every message of the caller, ascending.
func (s *Server) handleListMessages(w http.ResponseWriter, r *http.Request) {
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, err := s.app.ListMessages(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newMessages(msgs))
}

// messageRequest is the body of POST /api/messages/.
type messageRequest struct {
	ReceiverID   flexID    `json:"receiver_id"`
	Content      optString `json:"content"`
	ReplyToStory optString `json:"reply_to_story"`
}

// handleSendMessage sends a direct message: 201 Message.
func (s *Server) handleSendMessage(w http.ResponseWriter, r *http.Request) {
	var in messageRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !in.ReceiverID.Set {
		s.writeError(w, r, numeneon.FieldError("receiver_id", "This field is required."))
		return
	}
	if !in.Content.Set || in.Content.Null {
		s.writeError(w, r, numeneon.FieldError("content", "This field is required."))
		return
	}
	var story *string
	if in.ReplyToStory.Set && !in.ReplyToStory.Null && in.ReplyToStory.Value != "" {
		story = &in.ReplyToStory.Value
	}
	m, err := s.app.SendMessage(r.Context(), in.ReceiverID.Value, in.Content.Value, story)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newMessage(m))
}

// handleConversations returns the inbox, newest conversation first.
func (s *Server) handleConversations(w http.ResponseWriter, r *http.Request) {
	convs, err := s.app.ListConversations(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]conversation, 0, len(convs))
	for _, c := range convs {
		if c.User == nil || c.LastMessage == nil {
			continue
		}
		out = append(out, conversation{User: tinyOrID(c.User, c.User.ID), LastMessage: newMessage(c.LastMessage), UnreadCount: c.UnreadCount})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleConversation returns the thread with one user, ascending.
func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, err := s.app.Conversation(r.Context(), id, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newMessages(msgs))
}

// handleReadAll marks the messages from ?user_id= read: {marked_read}.
// GET is still routed here for the old client, though reading with GET
// changes state; new clients POST.
func (s *Server) handleReadAll(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query().Get("user_id")
	if v == "" {
		s.writeError(w, r, numeneon.Errorf(numeneon.EINVALID, "user_id is required."))
		return
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, numeneon.Errorf(numeneon.EINVALID, "user_id must be a positive integer."))
		return
	}
	s.markRead(w, r, id)
}

// handleConversationRead marks the messages from one user read.
func (s *Server) handleConversationRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markRead(w, r, id)
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, otherID int64) {
	n, err := s.app.MarkConversationRead(r.Context(), otherID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"marked_read": n})
}
