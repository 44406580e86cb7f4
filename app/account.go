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
	msgMissingFields  = "Missing required fields."
	msgUsernameTaken  = "Username already taken."
	msgEmailTaken     = "Email already registered."
	msgBadCredentials = "Invalid email or password."
	msgUserNotFound   = "User not found"
	msgUserInactive   = "User is inactive"
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
	}
	if problem := s.passwordLengthProblem(in.Password); problem != "" {
		return nil, numeneon.Errorf(numeneon.EINVALID, "%s", problem)
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
	validAfter, err := s.store.TokensValidAfter(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("read sessions of user %d: %w", u.ID, err)
	}
	access, refresh, err := s.tokens.IssuePairWith(u.ID, auth.PairOptions{NotBefore: validAfter})
	if err != nil {
		return nil, fmt.Errorf("issue tokens for user %d: %w", u.ID, err)
	}
	return &TokenPair{Access: access, Refresh: refresh}, nil
}

// ErrWrongOldPassword is ChangePassword's answer to a wrong old password,
// an EINVALID error on the old_password field. The api counts it as a
// failed login, so changing the password is no side door for guessing.
var ErrWrongOldPassword = numeneon.FieldError("old_password", "Your old password was entered incorrectly. Please enter it again.")

// ChangePassword replaces the caller's password after checking the old one
// (ErrWrongOldPassword otherwise), and signs every other device out: every
// token issued before now is refused, and every socket of the user, on
// every process, is closed with numeneon.CloseSessionEnded (this device's
// too: it reconnects with the new access token). It returns a fresh pair,
// a new login, so this device stays signed in.
func (s *Service) ChangePassword(ctx context.Context, oldPassword, newPassword string) (*TokenPair, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	if oldPassword == "" {
		fe.add("old_password", "This field is required.")
	}
	if newPassword == "" {
		fe.add("new_password", "This field is required.")
	} else if problem := s.passwordLengthProblem(newPassword); problem != "" {
		fe.add("new_password", problem)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	// The stored hash, not the cached user's: it may have changed since.
	u, err := s.store.FindUserByID(ctx, me.ID)
	if err != nil {
		return nil, fmt.Errorf("find user %d: %w", me.ID, err)
	}
	ok, _, err := auth.VerifyPassword(u.PasswordHash, oldPassword)
	if err != nil {
		s.logger.Error("verify password", "user_id", u.ID, "err", err)
		return nil, ErrWrongOldPassword
	} else if !ok {
		return nil, ErrWrongOldPassword
	}
	hash, err := auth.HashPassword(newPassword)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	var validAfter time.Time
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.SetPasswordHash(ctx, me.ID, hash); err != nil {
			return err
		}
		validAfter, err = endSessions(ctx, tx, me.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("change password of user %d: %w", me.ID, err)
	}
	s.sessionsEnded(ctx, me.ID, numeneon.CloseSessionEnded)
	access, refresh, err := s.tokens.IssuePairWith(me.ID, auth.PairOptions{NotBefore: validAfter})
	if err != nil {
		return nil, fmt.Errorf("issue tokens for user %d: %w", me.ID, err)
	}
	return &TokenPair{Access: access, Refresh: refresh}, nil
}

// passwordLengthProblem applies PASSWORD_MIN_LENGTH and the upper bound
// that keeps a megabyte "password" from being hashed, returning the
// client's message, or "" for a good length. Lengths count bytes, as they
// always have here.
func (s *Service) passwordLengthProblem(password string) string {
	if n := s.policy.PasswordMinLength; len(password) < n {
		return fmt.Sprintf("Password must be at least %d characters.", n)
	}
	if len(password) > maxPasswordLen {
		return fmt.Sprintf("Password must be at most %d characters.", maxPasswordLen)
	}
	return ""
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

// activeUser loads the user a token names, with the instant before which
// their tokens are refused: ENOTFOUND becomes EUNAUTHORIZED (the token names
// nobody), an inactive account EFORBIDDEN.
func (s *Service) activeUser(ctx context.Context, id int64) (*numeneon.User, time.Time, error) {
	u, validAfter, err := s.findUserSessions(ctx, id)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, time.Time{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgUserNotFound)
	} else if err != nil {
		return nil, time.Time{}, fmt.Errorf("find token user %d: %w", id, err)
	}
	if !u.IsActive {
		return nil, time.Time{}, numeneon.Errorf(numeneon.EFORBIDDEN, msgUserInactive)
	}
	return u, validAfter, nil
}
