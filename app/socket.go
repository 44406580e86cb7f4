package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
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

// AuthenticateSocket verifies an access token for a WebSocket, with exactly
// the checks of AuthenticateAccess (so the handshake and the REST API
// accept the same tokens), and says how long the socket may rely on it. Its
// errors are those of AuthenticateAccess.
func (s *Service) AuthenticateSocket(ctx context.Context, token string) (numeneon.AccessGrant, error) {
	u, _, err := s.AuthenticateAccess(ctx, token)
	if err != nil {
		return numeneon.AccessGrant{}, err
	}
	// The token verified a moment ago: Parse answers from its cache of
	// verified tokens.
	claims, err := s.tokens.Parse(token, auth.TokenAccess)
	if err != nil {
		return numeneon.AccessGrant{}, fmt.Errorf("parse access token: %w", err)
	}
	return numeneon.AccessGrant{
		User:          u,
		ExpiresAt:     auth.AcceptedUntil(claims),
		SignedInUntil: claims.IssuedAt.Add(s.tokens.RefreshTTL),
	}, nil
}
