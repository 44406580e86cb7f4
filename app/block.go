package app

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

// msgBlocked is what a user is told when a block stands between them and
// the user they try to reach. It does not say who blocked whom.
const msgBlocked = "You cannot interact with this user."

// blockReader is what blocked reads: the Store or a Tx.
type blockReader interface {
	Blocked(ctx context.Context, a, b int64) (bool, error)
}

// blocked reports whether a block stands between users a and b, either way.
// It is the one rule every interaction checks (messages, friend requests,
// wall posts, comments, mentions, likes, shares, story reactions): a block
// works both ways, so the blocker cannot reach the blocked user either and
// cannot be reached back through a reply.
// q is the store, or the transaction a check inside one must read through.
func blocked(ctx context.Context, q blockReader, a, b int64) (bool, error) {
	if a == b {
		return false, nil
	}
	blocked, err := q.Blocked(ctx, a, b)
	if err != nil {
		return false, fmt.Errorf("check block between %d and %d: %w", a, b, err)
	}
	return blocked, nil
}

// refuseIfBlocked returns EFORBIDDEN when a block stands between me and
// otherID, reading through q.
func refuseIfBlocked(ctx context.Context, q blockReader, me, otherID int64) error {
	isBlocked, err := blocked(ctx, q, me, otherID)
	if err != nil {
		return err
	}
	if isBlocked {
		return numeneon.Errorf(numeneon.EFORBIDDEN, msgBlocked)
	}
	return nil
}

// BlockUser blocks userID for the caller: from then on neither can reach
// the other (see blocked), neither finds the other in search or
// suggestions, and their friendship and pending requests end, with the
// events the other side's screens need (friend_removed,
// friend_request_cancelled, friend_request_declined). Blocking oneself is
// EINVALID, an unknown user ENOTFOUND; blocking again changes nothing.
func (s *Service) BlockUser(ctx context.Context, userID int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	if userID == me.ID {
		return numeneon.Errorf(numeneon.EINVALID, "You cannot block yourself.")
	}
	if err := s.requireUser(ctx, userID); err != nil {
		return err
	}
	var notes []*numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		notes = nil // Update may run this again
		if err := tx.CreateBlock(ctx, me.ID, userID); numeneon.ErrorCode(err) == numeneon.ECONFLICT {
			return nil // already blocked: the rest was done then
		} else if err != nil {
			return fmt.Errorf("create block: %w", err)
		}
		if err := tx.DeleteFriendship(ctx, me.ID, userID); err == nil {
			n, err := storeNotification(ctx, tx, userID, numeneon.EventFriendRemoved, friendRemovedEvent{User: TinyUser(me)})
			if err != nil {
				return err
			}
			notes = append(notes, n)
		} else if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
			return fmt.Errorf("end friendship: %w", err)
		}
		if fr, err := tx.FindFriendRequestBetween(ctx, me.ID, userID); err == nil {
			if err := tx.DeleteFriendRequest(ctx, fr.ID); err != nil {
				return fmt.Errorf("delete friend request %d: %w", fr.ID, err)
			}
			n, err := storeNotification(ctx, tx, userID, numeneon.EventFriendRequestCancelled,
				friendRequestCancelledEvent{RequestID: fr.ID, FromUser: TinyUser(me)})
			if err != nil {
				return err
			}
			notes = append(notes, n)
		} else if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
			return fmt.Errorf("find friend request: %w", err)
		}
		if fr, err := tx.FindFriendRequestBetween(ctx, userID, me.ID); err == nil {
			if err := tx.DeleteFriendRequest(ctx, fr.ID); err != nil {
				return fmt.Errorf("delete friend request %d: %w", fr.ID, err)
			}
			n, err := storeNotification(ctx, tx, userID, numeneon.EventFriendRequestDeclined,
				friendRequestDeclinedEvent{RequestID: fr.ID, By: TinyUser(me)})
			if err != nil {
				return err
			}
			notes = append(notes, n)
		} else if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
			return fmt.Errorf("find friend request: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("block user %d as %d: %w", userID, me.ID, err)
	}
	s.publish(ctx, notes...)
	return nil
}

// UnblockUser lifts the caller's block of userID. The friendship it ended
// does not come back. An unknown user is ENOTFOUND; unblocking someone not
// blocked changes nothing, so a retried request is harmless.
func (s *Service) UnblockUser(ctx context.Context, userID int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	if err := s.requireUser(ctx, userID); err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.DeleteBlock(ctx, me.ID, userID); err != nil && numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("unblock user %d as %d: %w", userID, me.ID, err)
	}
	return nil
}

// ListBlocked returns the users the caller blocked, ascending by id.
func (s *Service) ListBlocked(ctx context.Context, page numeneon.Page) ([]*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListBlocked(ctx, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list users blocked by %d: %w", me.ID, err)
	}
	return users, nil
}
