package app

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
)

// The operator's actions on accounts (numeneon user). They take no acting
// user: whoever can run the command on the deployment's database is the
// operator.

// SetUserActive deactivates (active false) or reactivates a user. A
// deactivation refuses every token the user holds, on every process (the
// refresh tokens too: reactivating does not bring them back), and closes
// the user's sockets everywhere with numeneon.CloseAccountInactive. An
// unknown user is ENOTFOUND.
func (s *Service) SetUserActive(ctx context.Context, userID int64, active bool) error {
	kind := numeneon.ChangeActivated
	if !active {
		kind = numeneon.ChangeDeactivated
	}
	err := s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.SetUserActive(ctx, userID, active); err != nil {
			return err
		}
		if !active {
			if _, err := endSessions(ctx, tx, userID); err != nil {
				return err
			}
		}
		_, err := tx.RecordUserChange(ctx, userID, kind)
		return err
	})
	if err != nil {
		return fmt.Errorf("set user %d active=%t: %w", userID, active, err)
	}
	if !active {
		s.sessionsEnded(ctx, userID, numeneon.CloseAccountInactive)
	} else {
		s.users.forget(userID)
	}
	return nil
}

// SetPassword gives a user a new password chosen by the operator (the
// policy's length applies, else EINVALID). Every token the user holds is
// refused from then on and their sockets close with
// numeneon.CloseSessionEnded, on every process.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	if problem := s.passwordLengthProblem(password); problem != "" {
		return numeneon.FieldError("password", problem)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		_, err := endSessions(ctx, tx, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	s.sessionsEnded(ctx, userID, numeneon.CloseSessionEnded)
	return nil
}
