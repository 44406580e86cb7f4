package app

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

// suggestionLimit is the most friend suggestions returned (API.md: ≤ 20).
const suggestionLimit = 20

// Client-facing messages of the friends routes, as the original wrote them.
const (
	msgSelfFriend       = "You cannot friend yourself"
	msgAlreadyRequested = "Friend request already sent"
	msgAlreadyFriends   = "You are already friends"
	msgRequestNotFound  = "Request not found"
	msgNotAuthorized    = "Not authorized"
	msgNoPendingRequest = "No pending friend request to this user"
)

// FriendRequestResult says what SendFriendRequest did. When the other user
// had already asked the caller, the two become friends instead of crossing
// requests: Accepted is true and Friend is the other user.
type FriendRequestResult struct {
	Request  *numeneon.FriendRequest // the new pending request, when not Accepted
	Accepted bool
	Friend   *numeneon.User
}

// Friend is a friend of the caller and whether they have a socket open.
type Friend struct {
	*numeneon.User
	Online bool
}

// UsePresence lets ListFriends tell which friends are online, from p (the
// presence the socket hub keeps). Call it before serving.
func (s *Service) UsePresence(p numeneon.Presence) { s.presence = p }

// ListFriends returns the caller's friends ordered by id, each with whether
// they are online now. Only friends' presence is revealed, as only friends
// hear presence events (PresenceAudience). When the presence cannot tell,
// the friends are listed offline rather than not at all.
func (s *Service) ListFriends(ctx context.Context, page numeneon.Page) ([]Friend, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListFriends(ctx, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list friends of user %d: %w", me.ID, err)
	}
	var online map[int64]bool
	if s.presence != nil && len(users) > 0 {
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if online, err = s.presence.OnlineAmong(ctx, ids); err != nil {
			s.logger.WarnContext(ctx, "friends listed offline: presence unavailable", "user_id", me.ID, "err", err)
		}
	}
	friends := make([]Friend, len(users))
	for i, u := range users {
		friends[i] = Friend{User: u, Online: online[u.ID]}
	}
	return friends, nil
}

// FriendSuggestions returns up to 20 users the caller has no friendship or
// pending request with, newest first.
func (s *Service) FriendSuggestions(ctx context.Context) ([]*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.store.FriendSuggestions(ctx, me.ID, suggestionLimit)
	if err != nil {
		return nil, fmt.Errorf("suggest friends for user %d: %w", me.ID, err)
	}
	return users, nil
}

// ListFriendRequests returns the requests sent to the caller, newest first.
func (s *Service) ListFriendRequests(ctx context.Context, page numeneon.Page) ([]*numeneon.FriendRequest, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	reqs, err := s.store.ListIncomingFriendRequests(ctx, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list friend requests to user %d: %w", me.ID, err)
	}
	return reqs, nil
}

// SendFriendRequest asks toUserID to be the caller's friend and raises a
// friend_request event for them. Asking oneself is EINVALID, an unknown user
// ENOTFOUND, a block between the two EFORBIDDEN, a repeated request or an existing friendship ECONFLICT. If
// toUserID had already asked the caller, their request is accepted instead
// and they get a friend_accepted event.
func (s *Service) SendFriendRequest(ctx context.Context, toUserID int64) (*FriendRequestResult, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if toUserID == me.ID {
		return nil, numeneon.Errorf(numeneon.EINVALID, msgSelfFriend)
	}
	to, err := s.store.FindUserByID(ctx, toUserID)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgUserNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("find user %d: %w", toUserID, err)
	}
	if err := refuseIfBlocked(ctx, s.store, me.ID, to.ID); err != nil {
		return nil, err
	}

	var res *FriendRequestResult
	var notes []*numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		res, notes = nil, nil // Update may run this again
		if friends, err := tx.AreFriends(ctx, me.ID, to.ID); err != nil {
			return fmt.Errorf("check friendship: %w", err)
		} else if friends {
			return numeneon.Errorf(numeneon.ECONFLICT, msgAlreadyFriends)
		}
		reverse, err := tx.FindFriendRequestBetween(ctx, to.ID, me.ID)
		switch {
		case err == nil:
			n, err := acceptInTx(ctx, tx, reverse.ID, to.ID, me)
			if err != nil {
				return err
			}
			res, notes = &FriendRequestResult{Accepted: true, Friend: to}, append(notes, n)
			return nil
		case numeneon.ErrorCode(err) != numeneon.ENOTFOUND:
			return fmt.Errorf("find reverse friend request: %w", err)
		}
		fr, err := tx.CreateFriendRequest(ctx, me.ID, to.ID)
		if numeneon.ErrorCode(err) == numeneon.ECONFLICT {
			return numeneon.Errorf(numeneon.ECONFLICT, msgAlreadyRequested)
		} else if err != nil {
			return fmt.Errorf("create friend request: %w", err)
		}
		n, err := storeNotification(ctx, tx, to.ID, numeneon.EventFriendRequest,
			friendRequestEvent{RequestID: fr.ID, FromUser: ShortUser(me)})
		if err != nil {
			return err
		}
		res, notes = &FriendRequestResult{Request: fr}, append(notes, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("send friend request from %d to %d: %w", me.ID, toUserID, err)
	}
	s.publish(ctx, notes...)
	return res, nil
}

// AcceptFriendRequest accepts request requestID, which must be addressed to
// the caller (else EFORBIDDEN), makes the two users friends and raises a
// friend_accepted event for the requester. It returns the new friend.
func (s *Service) AcceptFriendRequest(ctx context.Context, requestID int64) (*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	fr, err := s.incomingRequest(ctx, me.ID, requestID)
	if err != nil {
		return nil, err
	}
	var notes []*numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		notes = nil
		n, err := acceptInTx(ctx, tx, fr.ID, fr.FromUserID, me)
		if err != nil {
			return err
		}
		notes = append(notes, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accept friend request %d: %w", requestID, err)
	}
	s.publish(ctx, notes...)
	return fr.FromUser, nil
}

// acceptInTx turns request requestID from fromID to me into a friendship and
// stores the friend_accepted event for fromID. Deleting the request first
// makes two concurrent accepts of one request end with one friendship: the
// second finds nothing to delete.
func acceptInTx(ctx context.Context, tx numeneon.Tx, requestID, fromID int64, me *numeneon.User) (*numeneon.Notification, error) {
	if err := tx.DeleteFriendRequest(ctx, requestID); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgRequestNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("delete friend request %d: %w", requestID, err)
	}
	if err := tx.CreateFriendship(ctx, fromID, me.ID); numeneon.ErrorCode(err) == numeneon.ECONFLICT {
		return nil, numeneon.Errorf(numeneon.ECONFLICT, msgAlreadyFriends)
	} else if err != nil {
		return nil, fmt.Errorf("create friendship: %w", err)
	}
	return storeNotification(ctx, tx, fromID, numeneon.EventFriendAccepted, friendAcceptedEvent{Friend: ShortUser(me)})
}

// DeclineFriendRequest deletes request requestID, which must be addressed to
// the caller (else EFORBIDDEN), and raises a friend_request_declined event
// for the requester, whose "request sent" button would otherwise stay.
func (s *Service) DeclineFriendRequest(ctx context.Context, requestID int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	fr, err := s.incomingRequest(ctx, me.ID, requestID)
	if err != nil {
		return err
	}
	var note *numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		note = nil
		if err := tx.DeleteFriendRequest(ctx, fr.ID); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgRequestNotFound)
		} else if err != nil {
			return fmt.Errorf("delete friend request %d: %w", fr.ID, err)
		}
		note, err = storeNotification(ctx, tx, fr.FromUserID, numeneon.EventFriendRequestDeclined,
			friendRequestDeclinedEvent{RequestID: fr.ID, By: TinyUser(me)})
		return err
	})
	if err != nil {
		return fmt.Errorf("decline friend request %d: %w", requestID, err)
	}
	s.publish(ctx, note)
	return nil
}

// incomingRequest returns request id if it exists (else ENOTFOUND) and is
// addressed to userID (else EFORBIDDEN).
func (s *Service) incomingRequest(ctx context.Context, userID, id int64) (*numeneon.FriendRequest, error) {
	fr, err := s.store.FindFriendRequest(ctx, id)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgRequestNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("find friend request %d: %w", id, err)
	}
	if fr.ToUserID != userID {
		return nil, numeneon.Errorf(numeneon.EFORBIDDEN, msgNotAuthorized)
	}
	return fr, nil
}

// RemoveFriend ends the caller's friendship with userID and raises a
// friend_removed event for userID, whose friend list would otherwise show
// the caller until reloaded. An unknown user is ENOTFOUND; removing someone
// who is not a friend succeeds, changes nothing and tells nobody, as in the
// original, so a retried request is harmless.
func (s *Service) RemoveFriend(ctx context.Context, userID int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	if err := s.requireUser(ctx, userID); err != nil {
		return err
	}
	var note *numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		note = nil
		err := tx.DeleteFriendship(ctx, me.ID, userID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		note, err = storeNotification(ctx, tx, userID, numeneon.EventFriendRemoved, friendRemovedEvent{User: TinyUser(me)})
		return err
	})
	if err != nil {
		return fmt.Errorf("remove friendship of %d and %d: %w", me.ID, userID, err)
	}
	if note != nil {
		s.publish(ctx, note)
	}
	return nil
}

// CancelFriendRequest withdraws the caller's pending request to userID and
// raises a friend_request_cancelled event for userID, whose incoming list
// would otherwise offer a request that is gone; ENOTFOUND when there is none.
func (s *Service) CancelFriendRequest(ctx context.Context, userID int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	if err := s.requireUser(ctx, userID); err != nil {
		return err
	}
	var note *numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		note = nil
		fr, err := tx.FindFriendRequestBetween(ctx, me.ID, userID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgNoPendingRequest)
		} else if err != nil {
			return fmt.Errorf("find friend request: %w", err)
		}
		if err := tx.DeleteFriendRequest(ctx, fr.ID); err != nil {
			return fmt.Errorf("delete friend request %d: %w", fr.ID, err)
		}
		note, err = storeNotification(ctx, tx, userID, numeneon.EventFriendRequestCancelled,
			friendRequestCancelledEvent{RequestID: fr.ID, FromUser: TinyUser(me)})
		return err
	})
	if err != nil {
		return fmt.Errorf("cancel friend request from %d to %d: %w", me.ID, userID, err)
	}
	s.publish(ctx, note)
	return nil
}

// requireUser returns ENOTFOUND ("User not found") unless user id exists.
func (s *Service) requireUser(ctx context.Context, id int64) error {
	_, err := s.store.FindUserByID(ctx, id)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return numeneon.Errorf(numeneon.ENOTFOUND, msgUserNotFound)
	} else if err != nil {
		return fmt.Errorf("find user %d: %w", id, err)
	}
	return nil
}
