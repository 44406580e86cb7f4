package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/numeneon/numeneon"
)

// searchLimit is the most users a search returns (API.md: ≤ 20).
const searchLimit = 20

// Me returns the acting user as stored now.
func (s *Service) Me(ctx context.Context) (*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.store.FindUserByID(ctx, me.ID)
	if err != nil {
		return nil, fmt.Errorf("find user %d: %w", me.ID, err)
	}
	return u, nil
}

// UpdateProfile applies upd to the acting user's profile and returns the user
// as stored after the change. Every bad field is reported at once in the
// error's Fields (EINVALID). An avatar or website set to "" clears it.
func (s *Service) UpdateProfile(ctx context.Context, upd numeneon.ProfileUpdate) (*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	if upd.Bio != nil && tooLong(*upd.Bio, maxBioLen) {
		fe.add("bio", fmt.Sprintf("Ensure this field has no more than %d characters.", maxBioLen))
	}
	if upd.Location != nil && tooLong(*upd.Location, maxLocationLen) {
		fe.add("location", fmt.Sprintf("Ensure this field has no more than %d characters.", maxLocationLen))
	}
	if upd.Website != nil && *upd.Website != "" {
		if tooLong(*upd.Website, maxWebsiteLen) {
			fe.add("website", fmt.Sprintf("Ensure this field has no more than %d characters.", maxWebsiteLen))
		} else if !validHTTPURL(*upd.Website) {
			fe.add("website", "Enter a valid URL.")
		}
	}
	if upd.Avatar != nil && *upd.Avatar != "" {
		if tooLong(*upd.Avatar, maxAvatarLen) {
			fe.add("avatar", fmt.Sprintf("Ensure this field has no more than %d characters.", maxAvatarLen))
		} else if !validHTTPURL(*upd.Avatar) {
			fe.add("avatar", "Enter a valid URL.")
		}
	}
	if upd.FirstName != nil && tooLong(*upd.FirstName, maxNameLen) {
		fe.add("first_name", fmt.Sprintf("Ensure this field has no more than %d characters.", maxNameLen))
	}
	if upd.LastName != nil && tooLong(*upd.LastName, maxNameLen) {
		fe.add("last_name", fmt.Sprintf("Ensure this field has no more than %d characters.", maxNameLen))
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.UpdateProfile(ctx, me.ID, upd); err != nil {
			return err
		}
		_, err := tx.RecordUserChange(ctx, me.ID, numeneon.ChangeProfile)
		return err
	})
	s.users.forget(me.ID)
	if err != nil {
		return nil, fmt.Errorf("update profile of user %d: %w", me.ID, err)
	}
	return s.Me(ctx)
}

// FindUserByUsername returns the account with exactly this username, for the
// public profile page; ENOTFOUND when there is none or it is deactivated.
func (s *Service) FindUserByUsername(ctx context.Context, username string) (*numeneon.User, error) {
	u, err := s.store.FindUserByUsername(ctx, username)
	if err == nil && !u.IsActive {
		err = numeneon.Errorf(numeneon.ENOTFOUND, msgUserNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %q: %w", username, err)
	}
	return u, nil
}

// SearchUsers returns up to 20 users other than the caller whose username or
// name contains q, taken literally. A query under two characters returns the
// 20 newest users instead, as the original did.
func (s *Service) SearchUsers(ctx context.Context, q string) ([]*numeneon.User, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if len([]rune(q)) < 2 {
		q = ""
	}
	users, err := s.store.SearchUsers(ctx, q, me.ID, searchLimit)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return users, nil
}
