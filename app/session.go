package app

import (
	"context"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
)

// Sessions: refreshing tokens, signing out one login or every one, and the
// check every authenticated request and socket handshake makes.
//
// A login is a refresh-token family (auth.Claims.Family): its first refresh
// token and every token rotated from it. Signing out revokes the family.
// Signing out everywhere, and changing the password, move the user's
// "tokens valid after" instant to the next whole second: every token with
// an older iat (token times have whole seconds) is refused, access and
// refresh alike, and tokens issued for the user from then on are stamped
// with that second at least (auth.PairOptions.NotBefore), so they pass.

// msgTokenRevoked is simplejwt's text for a blacklisted token.
const msgTokenRevoked = "Token is blacklisted"

// Refresh exchanges a refresh token for a new pair in the same family. With
// RotationReuse (the default) the used token stays valid until it expires;
// with RotationStrict it is revoked, and a second use revokes its family.
// A bad, expired or revoked token, or one issued before the user signed out
// everywhere, is EUNAUTHORIZED.
func (s *Service) Refresh(ctx context.Context, refresh string) (*TokenPair, error) {
	if refresh == "" {
		return nil, numeneon.FieldError("refresh", "This field is required.")
	}
	claims, err := s.tokens.Parse(refresh, auth.TokenRefresh)
	if err != nil {
		return nil, fmt.Errorf("parse refresh token: %w", err)
	}
	if _, _, err := s.activeUser(ctx, claims.UserID); err != nil {
		if numeneon.ErrorCode(err) == numeneon.EFORBIDDEN {
			return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgUserInactive)
		}
		return nil, err
	}
	// Read fresh, not from the cache: a refresh right after a sign-out on
	// another process must fail.
	validAfter, err := s.store.TokensValidAfter(ctx, claims.UserID)
	if err != nil {
		return nil, fmt.Errorf("read sessions of user %d: %w", claims.UserID, err)
	}
	if claims.IssuedAt.Before(validAfter) {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgTokenRevoked)
	}
	revoked, err := s.store.TokenRevoked(ctx, claims.JTI, claims.Family)
	if err != nil {
		return nil, fmt.Errorf("check refresh token revocation: %w", err)
	}
	if s.policy.RefreshRotation == RotationStrict {
		if err := s.useRefreshOnce(ctx, claims, revoked); err != nil {
			return nil, err
		}
	} else if revoked {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgTokenRevoked)
	}
	access, newRefresh, err := s.tokens.IssuePairWith(claims.UserID, auth.PairOptions{Family: claims.Family, NotBefore: validAfter})
	if err != nil {
		return nil, fmt.Errorf("issue tokens for user %d: %w", claims.UserID, err)
	}
	return &TokenPair{Access: access, Refresh: newRefresh}, nil
}

// useRefreshOnce is strict rotation: it revokes the token, or, when it was
// already used (revoked says so, or a concurrent refresh won the race to
// revoke it), revokes its whole family and returns EUNAUTHORIZED. A reused
// refresh token means two parties hold it; the family's newest token may be
// the thief's, so none of them stays valid.
func (s *Service) useRefreshOnce(ctx context.Context, claims *auth.Claims, revoked bool) error {
	reused := revoked
	err := s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if !reused {
			err := tx.RevokeToken(ctx, claims.JTI, auth.AcceptedUntil(claims))
			if numeneon.ErrorCode(err) != numeneon.ECONFLICT {
				return err
			}
			reused = true
		}
		return tx.RevokeTokenFamily(ctx, claims.Family, s.tokens.RefreshAcceptedUntil())
	})
	if err != nil {
		return fmt.Errorf("revoke refresh token: %w", err)
	}
	if reused {
		s.logger.Info("refresh with a used or signed-out token: its whole login is revoked", "user_id", claims.UserID)
		return numeneon.Errorf(numeneon.EUNAUTHORIZED, msgTokenRevoked)
	}
	return nil
}

// Logout revokes the refresh token and its family: the login it belongs to
// ends on every token rotated from it, whichever one the client kept.
// Access tokens of that login stay valid until they expire (an hour at
// most); LogoutEverywhere ends those too. Signing out twice is not an error;
// a bad or expired token is EUNAUTHORIZED.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	claims, err := s.parseRefreshForLogout(refresh)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.RevokeTokenFamily(ctx, claims.Family, s.tokens.RefreshAcceptedUntil())
	})
	if err != nil {
		return fmt.Errorf("revoke token family of user %d: %w", claims.UserID, err)
	}
	return nil
}

// LogoutEverywhere signs the caller out on every device: their refresh
// token's family is revoked and every token of theirs issued before now is
// refused, then every socket of theirs, on every process, is closed with
// numeneon.CloseSessionEnded. The refresh token must be the caller's
// (EFORBIDDEN otherwise).
func (s *Service) LogoutEverywhere(ctx context.Context, refresh string) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	claims, err := s.parseRefreshForLogout(refresh)
	if err != nil {
		return err
	}
	if claims.UserID != me.ID {
		return numeneon.Errorf(numeneon.EFORBIDDEN, "The refresh token belongs to another user.")
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if _, err := endSessions(ctx, tx, me.ID); err != nil {
			return err
		}
		return tx.RevokeTokenFamily(ctx, claims.Family, s.tokens.RefreshAcceptedUntil())
	})
	if err != nil {
		return fmt.Errorf("sign user %d out everywhere: %w", me.ID, err)
	}
	s.sessionsEnded(ctx, me.ID, numeneon.CloseSessionEnded)
	return nil
}

func (s *Service) parseRefreshForLogout(refresh string) (*auth.Claims, error) {
	if refresh == "" {
		return nil, numeneon.FieldError("refresh", "This field is required.")
	}
	claims, err := s.tokens.Parse(refresh, auth.TokenRefresh)
	if err != nil {
		return nil, fmt.Errorf("parse refresh token: %w", err)
	}
	return claims, nil
}

// endSessions refuses, from the next whole second on, every token of
// userID issued before it, and returns the instant stored (later than the
// one computed here if another process's clock ran ahead). Tokens issued
// for the user afterwards must be stamped no earlier than it.
func endSessions(ctx context.Context, tx numeneon.Tx, userID int64) (time.Time, error) {
	// iat has whole seconds: a token issued earlier in this second has the
	// same iat as one issued after this change, so the line is drawn at the
	// next second.
	next := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	validAfter, err := tx.SetTokensValidAfter(ctx, userID, next)
	if err != nil {
		return time.Time{}, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	// Other processes' caches hold the old instant: they forget it when
	// their watcher reads this change (userwatch.go).
	if _, err := tx.RecordUserChange(ctx, userID, numeneon.ChangePassword); err != nil {
		return time.Time{}, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return validAfter, nil
}

// sessionsEnded runs once the change that ended userID's sessions (or
// deactivated the account) committed: this process forgets the cached
// user, and every process closes the user's sockets with code. Other
// processes' caches notice within userCacheTTL. A failed publish is logged:
// the sockets then stay open until their tokens are next checked.
func (s *Service) sessionsEnded(ctx context.Context, userID int64, code int) {
	s.users.forget(userID)
	if s.layer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.layer.Publish(ctx, numeneon.SessionEndEnvelope(userID, code)); err != nil {
		s.logger.Warn("publish session end after commit", "user_id", userID, "code", code, "err", err)
	}
}

// AuthenticateAccess verifies an access token and returns its user and the
// token's expiry. A bad, expired or wrong-type token, one issued before the
// user signed out everywhere or changed the password, or a deleted user, is
// EUNAUTHORIZED; an inactive user is EFORBIDDEN. The HTTP middleware and the
// WebSocket handshake both use it, so both accept exactly the same tokens.
func (s *Service) AuthenticateAccess(ctx context.Context, token string) (*numeneon.User, time.Time, error) {
	claims, err := s.tokens.Parse(token, auth.TokenAccess)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("parse access token: %w", err)
	}
	u, validAfter, err := s.activeUser(ctx, claims.UserID)
	if err != nil {
		return nil, time.Time{}, err
	}
	if claims.IssuedAt.Before(validAfter) {
		return nil, time.Time{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgTokenRevoked)
	}
	return u, claims.ExpiresAt, nil
}
