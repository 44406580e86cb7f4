package app

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/numeneon/numeneon"
)

// Rules of push subscriptions.
const (
	// pushDevicesMax is how many subscriptions one user keeps: a phone, a
	// laptop, a few browsers. Subscribing one more forgets the oldest, so
	// stale ones from reinstalled browsers do not pile up.
	pushDevicesMax  = 10
	maxEndpointLen  = 2048
	msgPushDisabled = "Push notifications are not configured on this server."
)

// VAPIDPublicKey returns the key browsers subscribe with (their
// applicationServerKey), or EUNAVAILABLE when push is not configured.
func (s *Service) VAPIDPublicKey() (string, error) {
	if s.push == nil {
		return "", numeneon.Errorf(numeneon.EUNAVAILABLE, msgPushDisabled)
	}
	return s.push.opts.PublicKey, nil
}

// decodeB64URL reads a browser's base64url key, with or without padding
// (browsers send it without; some libraries add it).
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// validateSubscription reports every bad field of sub at once, under the
// names the client sends. Every real push service is https, and an
// endpoint is a URL this server will post to, so nothing else is accepted.
func validateSubscription(sub *numeneon.PushSubscription) error {
	fe := fieldErrors{}
	u, err := url.Parse(sub.Endpoint)
	switch {
	case sub.Endpoint == "":
		fe.add("endpoint", "This field is required.")
	case len(sub.Endpoint) > maxEndpointLen:
		fe.add("endpoint", fmt.Sprintf("Ensure this field has no more than %d characters.", maxEndpointLen))
	case err != nil || u.Host == "" || u.User != nil || u.Scheme != "https":
		fe.add("endpoint", "Enter the https URL of the push service.")
	}
	if key, err := decodeB64URL(sub.P256dh); err != nil {
		fe.add("keys.p256dh", "Must be the browser's base64url P-256 key.")
	} else if _, err := ecdh.P256().NewPublicKey(key); err != nil {
		fe.add("keys.p256dh", "Must be the browser's base64url P-256 key.")
	}
	if auth, err := decodeB64URL(sub.Auth); err != nil || len(auth) != 16 {
		fe.add("keys.auth", "Must be the browser's 16-byte base64url secret.")
	}
	return fe.err()
}

// SubscribePush stores a subscription of the caller's browser (several per
// user, one per endpoint: the same endpoint again updates its keys, and
// moves to the caller if another user had it). Only the newest 10 of a
// user are kept. Bad fields are EINVALID; a valid subscription while push
// is not configured is EUNAVAILABLE.
func (s *Service) SubscribePush(ctx context.Context, sub numeneon.PushSubscription) (*numeneon.PushSubscription, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	// Bad input is 400 whether or not push is on.
	if err := validateSubscription(&sub); err != nil {
		return nil, err
	}
	if s.push == nil {
		return nil, numeneon.Errorf(numeneon.EUNAVAILABLE, msgPushDisabled)
	}
	sub.UserID = me.ID
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.SavePushSubscription(ctx, &sub); err != nil {
			return err
		}
		_, err := tx.TrimPushSubscriptions(ctx, me.ID, pushDevicesMax)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save push subscription of user %d: %w", me.ID, err)
	}
	return &sub, nil
}

// UnsubscribePush deletes the caller's subscription with this endpoint;
// ENOTFOUND when the caller has none.
func (s *Service) UnsubscribePush(ctx context.Context, endpoint string) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	if endpoint == "" {
		return numeneon.FieldError("endpoint", "This field is required.")
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.DeletePushSubscription(ctx, me.ID, endpoint)
	})
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Subscription not found.")
	}
	if err != nil {
		return fmt.Errorf("delete push subscription of user %d: %w", me.ID, err)
	}
	return nil
}
