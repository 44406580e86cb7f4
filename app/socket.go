package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/numeneon/numeneon"
)

// The rules the socket hub asks about (realtime.Rules): the hub keeps the
// sockets, these say who may tell whom what.

// typingEvent is the data of a typing event: who is typing.
type typingEvent struct {
	User UserTiny `json:"user"`
}

// TypingEvent returns the envelope that tells user to that user from is
// typing to them. Only friends may: anyone else is EFORBIDDEN, oneself
// EINVALID; a store failure is returned wrapped. The event is not stored
// (id 0): a lost typing indicator is not worth a replay.
func (s *Service) TypingEvent(ctx context.Context, from, to int64) (numeneon.Envelope, error) {
	if from == to {
		return numeneon.Envelope{}, numeneon.Errorf(numeneon.EINVALID, "You cannot send typing events to yourself.")
	}
	friends, err := s.store.AreFriends(ctx, from, to)
	if err != nil {
		return numeneon.Envelope{}, fmt.Errorf("check friendship of %d and %d for typing: %w", from, to, err)
	}
	if !friends {
		return numeneon.Envelope{}, numeneon.Errorf(numeneon.EFORBIDDEN, "You can only send typing events to friends.")
	}
	u, err := s.findUser(ctx, from)
	if err != nil {
		return numeneon.Envelope{}, fmt.Errorf("find typing user %d: %w", from, err)
	}
	data, err := json.Marshal(typingEvent{TinyUser(u)})
	if err != nil {
		return numeneon.Envelope{}, fmt.Errorf("encode typing event: %w", err)
	}
	return numeneon.Envelope{UserID: to, Frame: numeneon.EventFrame(numeneon.EventTyping, data, 0)}, nil
}

// PresenceAudience returns the users who hear when userID comes online or
// goes offline: the user's friends. A store failure is returned wrapped.
func (s *Service) PresenceAudience(ctx context.Context, userID int64) ([]int64, error) {
	ids, err := s.store.FriendIDs(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list friends of %d for presence: %w", userID, err)
	}
	return ids, nil
}
