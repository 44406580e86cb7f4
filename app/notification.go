package app

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

// ListNotifications returns the caller's stored events with id > since,
// ascending by id, at most limit (the store's default when limit <= 0).
// This is what a client reads to catch up after being offline.
func (s *Service) ListNotifications(ctx context.Context, since int64, limit int) ([]*numeneon.Notification, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if since < 0 {
		return nil, numeneon.FieldError("since", "Ensure this value is greater than or equal to 0.")
	}
	notes, err := s.store.ListNotifications(ctx, me.ID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications of user %d: %w", me.ID, err)
	}
	return notes, nil
}

// MarkNotificationsRead marks the caller's notifications with id <= upTo read
// and returns how many changed.
func (s *Service) MarkNotificationsRead(ctx context.Context, upTo int64) (int64, error) {
	me, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	if upTo < 0 {
		return 0, numeneon.FieldError("up_to", "Ensure this value is greater than or equal to 0.")
	}
	var n int64
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		var err error
		n, err = tx.MarkNotificationsRead(ctx, me.ID, upTo)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark notifications of user %d read: %w", me.ID, err)
	}
	return n, nil
}
