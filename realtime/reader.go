package realtime

import (
	"bytes"
	"context"
	"encoding/json"

	"golang.org/x/time/rate"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/ws"
)

var pongFrame = []byte(`{"type":"pong"}`)

// clientMessage is what a client may send. Fields are decoded by type, so a
// field of the wrong JSON type is an error message, not a zero value.
type clientMessage struct {
	Type  string          `json:"type"`
	To    json.RawMessage `json:"to"`
	Since json.RawMessage `json:"since"`
	Token string          `json:"token"`
}

// Message implements ws.Handler: one message from the client. ws calls it
// on a goroutine that exists only while the client's bytes are handled.
func (s *socket) Message(_ *ws.Conn, op ws.Opcode, data []byte) {
	if op != ws.OpText {
		s.sendError("Binary frames are not supported.")
		return
	}
	s.handleMessage(data)
}

// handleMessage answers one text message. Nothing a client sends stops the
// socket; every mistake gets {"type":"error","message":...}.
func (s *socket) handleMessage(data []byte) {
	if !json.Valid(data) {
		s.sendError("Invalid JSON")
		return
	}
	var msg clientMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		s.sendError(`Invalid message: expected an object with a string "type".`)
		return
	}
	switch msg.Type {
	case "ping":
		s.send(pongFrame)
	case "typing":
		if s.allowCostly() {
			s.handleTyping(msg.To)
		}
	case "resume":
		if !s.allowCostly() {
			return
		}
		since, ok := decodeID(msg.Since)
		if !ok || since < 0 {
			s.sendError(`resume needs "since": the last event id seen (an integer >= 0).`)
			return
		}
		s.requestResume(since)
	case "auth":
		if s.allowCostly() {
			s.handleReauth(msg.Token)
		}
	case "":
		s.sendError(`Missing message "type".`)
	default:
		s.sendError("Unknown message type.")
	}
}

// Client messages that cost a store query or a publish (typing, resume) are
// limited per socket: a typing indicator needs a few a second at most, and a
// flood would load the database and Redis and fill the friend's queue.
const (
	costlyPerSecond = 5
	costlyBurst     = 20
)

// allowCostly takes one costly message from the socket's budget, or answers
// with an error and reports false.
func (s *socket) allowCostly() bool {
	if s.costly == nil {
		s.costly = rate.NewLimiter(costlyPerSecond, costlyBurst)
	}
	if s.costly.Allow() {
		return true
	}
	s.sendError("Too many typing or resume messages; slow down.")
	return false
}

// handleTyping publishes a typing event to a friend, if the rules allow.
// It is not stored: a lost typing indicator is not worth a replay.
func (s *socket) handleTyping(rawTo json.RawMessage) {
	to, ok := decodeID(rawTo)
	if !ok || to <= 0 {
		s.sendError(`typing needs "to": a user id.`)
		return
	}
	// The socket reads nothing more until this returns: a slow store or
	// layer gets WriteTimeout, then the client an error.
	ctx, cancel := context.WithTimeout(s.ctx, s.hub.cfg.WriteTimeout)
	defer cancel()
	env, err := s.hub.cfg.Rules.TypingEvent(ctx, s.userID, to)
	switch code := numeneon.ErrorCode(err); {
	case err == nil:
	case code == numeneon.EFORBIDDEN || code == numeneon.EINVALID:
		s.sendError(numeneon.ErrorMessage(err))
		return
	default:
		if s.ctx.Err() == nil {
			s.hub.log.Error("typing event", "user_id", s.userID, "to", to, "error", err)
			s.sendError("Internal error.")
		}
		return
	}
	if err := s.hub.cfg.Layer.Publish(ctx, env); err != nil && s.ctx.Err() == nil {
		s.hub.log.Warn("publish typing", "user_id", s.userID, "to", to, "error", err)
		s.sendError("Could not deliver the typing event.")
	}
}

// handleReauth takes a fresh access token on an open socket: when it is
// valid and names the socket's user, the socket's deadline moves to the
// token's (see TokenExpiry). A token that is bad, expired or another user's
// gets an error message, and the socket keeps its deadline.
func (s *socket) handleReauth(token string) {
	g, err := s.hub.authenticate(s.ctx, token)
	switch code := numeneon.ErrorCode(err); {
	case err == nil && g.User.ID != s.userID:
		s.sendError("The token is another user's.")
	case err == nil:
		s.requestReauth(s.hub.cfg.SocketTokenExpiry.deadline(g))
	case code == numeneon.EUNAUTHORIZED || code == numeneon.EFORBIDDEN:
		s.sendError(numeneon.ErrorMessage(err))
	default:
		if s.ctx.Err() == nil {
			s.hub.log.Error("authenticate a fresh token", "user_id", s.userID, "error", err)
			s.sendError("Internal error.")
		}
	}
}

// decodeID decodes a JSON integer; a missing field, null, a string, a
// fraction or anything else is not one.
func decodeID(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] < '0' && raw[0] != '-' || raw[0] > '9' {
		return 0, false
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err != nil {
		return 0, false
	}
	return id, true
}
