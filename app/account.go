package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
)

// Client-facing messages of the original backend, kept verbatim because the
// client shows them.
const (
	msgMissingFields    = "Missing required fields."
	msgUsernameTaken    = "Username already taken."
	msgEmailTaken       = "Email already registered."
	msgBadCredentials   = "Invalid email or password."
	msgUserNotFound     = "User not found"
	msgUserInactive     = "User is inactive"
	msgRefreshBlacklist = "Token is blacklisted"
)

// SignupInput is what a new account is made from. DisplayName is split at its
// first space into first and last name, as the original did.
type SignupInput struct {
	Username    string
	Email       string
	Password    string
	DisplayName string
}

// TokenPair is an access token and the refresh token that renews it.
type TokenPair struct {
	Access  string
	Refresh string
}

// Signup creates an active account. Missing fields, a bad email, username or
// password are EINVALID; a taken username or email (case-insensitively) is
// ECONFLICT with the original's message.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*numeneon.User, error) {
	if in.Username == "" || in.Email == "" || in.Password == "" {
		return nil, numeneon.Errorf(numeneon.EINVALID, msgMissingFields)
	}
	switch {
	case !validUsername(in.Username):
		return nil, numeneon.Errorf(numeneon.EINVALID, "Username may contain only letters, digits and @ . + - _ and at most %d characters.", maxUsernameLen)
	case !validEmail(in.Email):
		return nil, numeneon.Errorf(numeneon.EINVALID, "Enter a valid email address.")
	case len(in.Password) < minPasswordLen:
		return nil, numeneon.Errorf(numeneon.EINVALID, "Password must be at least %d characters.", minPasswordLen)
	case len(in.Password) > maxPasswordLen:
		return nil, numeneon.Errorf(numeneon.EINVALID, "Password must be at most %d characters.", maxPasswordLen)
	}
	first, last, _ := strings.Cut(strings.TrimSpace(in.DisplayName), " ")
	if tooLong(first, maxNameLen) || tooLong(last, maxNameLen) {
		return nil, numeneon.Errorf(numeneon.EINVALID, "Display name is too long.")
	}

	// Check before hashing, so a duplicate costs no argon2 work; the unique
	// constraints below still decide races.
	if _, err := s.store.FindUserByUsername(ctx, in.Username); err == nil {
		return nil, numeneon.Errorf(numeneon.ECONFLICT, msgUsernameTaken)
	} else if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
		return nil, fmt.Errorf("check username: %w", err)
	}
	if _, err := s.store.FindUserByEmail(ctx, in.Email); err == nil {
		return nil, numeneon.Errorf(numeneon.ECONFLICT, msgEmailTaken)
	} else if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
		return nil, fmt.Errorf("check email: %w", err)
	}

	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	var u *numeneon.User
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		u = &numeneon.User{
			Username:     in.Username,
			Email:        in.Email,
			FirstName:    first,
			LastName:     strings.TrimSpace(last),
			PasswordHash: hash,
			IsActive:     true,
		}
		return tx.CreateUser(ctx, u)
	})
	if numeneon.ErrorCode(err) == numeneon.ECONFLICT {
		// The store names the taken field in its message.
		if strings.Contains(strings.ToLower(numeneon.ErrorMessage(err)), "email") {
			return nil, numeneon.Errorf(numeneon.ECONFLICT, msgEmailTaken)
		}
		return nil, numeneon.Errorf(numeneon.ECONFLICT, msgUsernameTaken)
	} else if err != nil {
		return nil, fmt.Errorf("create user %q: %w", in.Username, err)
	}
	return u, nil
}

// Login checks an email (case-insensitively) and password and returns a new
// token pair. Every failure is the same EUNAUTHORIZED error and takes about
// the same time, so the answer does not reveal which emails have accounts.
// A password stored with an old algorithm is rehashed with the current one;
// if that fails the login still succeeds and the next one retries.
func (s *Service) Login(ctx context.Context, email, password string) (*TokenPair, error) {
	if email == "" || password == "" {
		auth.EqualizeTiming(password)
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgBadCredentials)
	}
	u, err := s.store.FindUserByEmail(ctx, email)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		auth.EqualizeTiming(password)
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgBadCredentials)
	} else if err != nil {
		return nil, fmt.Errorf("find user by email: %w", err)
	}
	ok, needsUpgrade, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		// A corrupt hash is our fault, but the client learns only that the
		// login failed; the log says why.
		s.logger.Error("verify password", "user_id", u.ID, "err", err)
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgBadCredentials)
	}
	if !ok || !u.IsActive {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgBadCredentials)
	}
	if needsUpgrade {
		s.upgradePasswordHash(ctx, u.ID, password)
	}
	access, refresh, err := s.tokens.IssuePair(u.ID)
	if err != nil {
		return nil, fmt.Errorf("issue tokens for user %d: %w", u.ID, err)
	}
	return &TokenPair{Access: access, Refresh: refresh}, nil
}

// upgradePasswordHash replaces a legacy hash (Django pbkdf2) with argon2id
// after a successful login, the only moment the plain password is known.
func (s *Service) upgradePasswordHash(ctx context.Context, userID int64, password string) {
	hash, err := auth.HashPassword(password)
	if err == nil {
		err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.SetPasswordHash(ctx, userID, hash)
		})
		s.users.forget(userID)
	}
	if err != nil {
		s.logger.Warn("upgrade password hash", "user_id", userID, "err", err)
	}
}

// Refresh exchanges a refresh token for a new pair and revokes the old one:
// a refresh token works once, so a stolen one that was already used is
// refused (EUNAUTHORIZED).
func (s *Service) Refresh(ctx context.Context, refresh string) (*TokenPair, error) {
	if refresh == "" {
		return nil, numeneon.FieldError("refresh", "This field is required.")
	}
	claims, err := s.tokens.Parse(refresh, auth.TokenRefresh)
	if err != nil {
		return nil, fmt.Errorf("parse refresh token: %w", err)
	}
	if _, err := s.activeUser(ctx, claims.UserID); err != nil {
		if numeneon.ErrorCode(err) == numeneon.EFORBIDDEN {
			return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgUserInactive)
		}
		return nil, err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.RevokeToken(ctx, claims.JTI, auth.AcceptedUntil(claims))
	})
	if numeneon.ErrorCode(err) == numeneon.ECONFLICT {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgRefreshBlacklist)
	} else if err != nil {
		return nil, fmt.Errorf("revoke refresh token: %w", err)
	}
	access, newRefresh, err := s.tokens.IssuePair(claims.UserID)
	if err != nil {
		return nil, fmt.Errorf("issue tokens for user %d: %w", claims.UserID, err)
	}
	return &TokenPair{Access: access, Refresh: newRefresh}, nil
}

// AuthenticateAccess verifies an access token and returns its user and the
// token's expiry. A bad, expired or wrong-type token, or a deleted user, is
// EUNAUTHORIZED; an inactive user is EFORBIDDEN. The HTTP middleware and the
// WebSocket handshake both use it, so both accept exactly the same tokens.
func (s *Service) AuthenticateAccess(ctx context.Context, token string) (*numeneon.User, time.Time, error) {
	claims, err := s.tokens.Parse(token, auth.TokenAccess)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("parse access token: %w", err)
	}
	u, err := s.activeUser(ctx, claims.UserID)
	if err != nil {
		return nil, time.Time{}, err
	}
	return u, claims.ExpiresAt, nil
}

// activeUser loads the user a token names: ENOTFOUND becomes EUNAUTHORIZED
// (the token names nobody), an inactive account EFORBIDDEN.
func (s *Service) activeUser(ctx context.Context, id int64) (*numeneon.User, error) {
	u, err := s.findUser(ctx, id)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgUserNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("find token user %d: %w", id, err)
	}
	if !u.IsActive {
		return nil, numeneon.Errorf(numeneon.EFORBIDDEN, msgUserInactive)
	}
	return u, nil
}
