package numeneon

import (
	"encoding/json"
	"strconv"
	"time"
)

// Event types, as the client reads them in the "type" field.
const (
	EventFriendRequest  = "friend_request"
	EventFriendAccepted = "friend_accepted"
	EventNewMessage     = "new_message"
	EventNewPost        = "new_post"
	EventWallPost       = "wall_post"
	EventPostComment    = "post_comment"
	EventCommentReply   = "comment_reply"
	EventStoryReaction  = "story_reaction"
	EventTyping         = "typing"   // not stored
	EventPresence       = "presence" // not stored
)

// Events that keep a client's screens true when something it shows goes
// away or changes elsewhere. The public client ignores types it does not
// know.
const (
	EventFriendRemoved          = "friend_removed"
	EventFriendRequestCancelled = "friend_request_cancelled"
	EventFriendRequestDeclined  = "friend_request_declined"
	EventMessagesRead           = "messages_read"
)

// Notification is a stored event for one user. ID is per user and strictly
// increasing in commit order: the store takes it from a per-user counter in
// the same transaction as the change that caused the event, so a client that
// has seen id N has seen every event with a smaller id.
type Notification struct {
	UserID    int64
	ID        int64
	Type      string
	Data      json.RawMessage
	CreatedAt time.Time
	Read      bool
}

// Envelope is what crosses the channel layer and reaches a socket: the target
// user, the stored notification id (0 for events that are not stored, such as
// typing and presence) and the frame exactly as the socket sends it. Frame is
// shared by every receiver and must never be modified.
type Envelope struct {
	UserID int64
	ID     int64
	Frame  []byte
}

// Envelope returns the envelope that delivers n to its user's sockets.
func (n *Notification) Envelope() Envelope {
	return Envelope{UserID: n.UserID, ID: n.ID, Frame: EventFrame(n.Type, n.Data, n.ID)}
}

// EventFrame encodes {"type":t,"data":data,"id":id}, omitting "id" when it is
// 0. data must be valid JSON (nil is written as null).
func EventFrame(t string, data json.RawMessage, id int64) []byte {
	b := make([]byte, 0, len(t)+len(data)+48)
	b = append(b, `{"type":`...)
	if plainType(t) {
		b = append(append(append(b, '"'), t...), '"')
	} else {
		typ, _ := json.Marshal(t)
		b = append(b, typ...)
	}
	b = append(b, `,"data":`...)
	if len(data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, data...)
	}
	if id != 0 {
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, id, 10)
	}
	return append(b, '}')
}

// plainType reports whether t needs no JSON escaping (every event type the
// server defines), so EventFrame can skip the encoder.
func plainType(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}
