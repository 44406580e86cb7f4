package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// Limits of a story's fields. A media URL may be as long as an avatar's; a
// caption is a line or two over a picture.
const (
	maxStoryURLLen  = maxAvatarLen
	maxCaptionLen   = 500
	storyListMax    = 500 // the most stories one list returns, as the api's largest limit
	msgStoryMissing = "Story not found"
)

// NewStory is what a user posts.
type NewStory struct {
	MediaType string
	MediaURL  string
	Caption   string
}

// StoryViewResult is the answer to a view: the story's view count after it
// and, when the view was not counted, why.
type StoryViewResult struct {
	ViewCount int
	Message   string
}

// storyReactionEvent is the data of a story_reaction event (API.md).
type storyReactionEvent struct {
	StoryID      string    `json:"story_id"`
	ReactionType string    `json:"reaction_type"`
	User         UserShort `json:"user"`
}

// newStoryID returns a random (version 4) UUID in canonical form.
func newStoryID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate story id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b[:]), nil
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// parseStoryID accepts a UUID with or without dashes, in either case (the
// forms Django accepts for a UUIDField), and returns its canonical form, the
// one stories are stored under.
func parseStoryID(s string) (string, bool) {
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", false
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(s) != 32 {
		return "", false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", false
	}
	return formatUUID(b), true
}

// validateNewStory reports every bad field of in at once.
func validateNewStory(in NewStory) error {
	fe := fieldErrors{}
	switch in.MediaType {
	case numeneon.StoryImage, numeneon.StoryVideo:
	case "":
		fe.add("media_type", "This field is required.")
	default:
		fe.add("media_type", `Must be "image" or "video".`)
	}
	switch {
	case strings.TrimSpace(in.MediaURL) == "":
		fe.add("media_url", "This field is required.")
	case tooLong(in.MediaURL, maxStoryURLLen):
		fe.add("media_url", fmt.Sprintf("Ensure this field has no more than %d characters.", maxStoryURLLen))
	case !validHTTPURL(in.MediaURL):
		fe.add("media_url", "Enter a valid http or https URL.")
	}
	switch {
	case tooLong(in.Caption, maxCaptionLen):
		fe.add("caption", fmt.Sprintf("Ensure this field has no more than %d characters.", maxCaptionLen))
	case !utf8.ValidString(in.Caption) || strings.ContainsRune(in.Caption, 0):
		// PostgreSQL cannot store NUL in text; neither store gets it.
		fe.add("caption", "Must be text without NUL characters.")
	}
	return fe.err()
}

// CreateStory posts a story of the caller, shown to their friends until it
// expires numeneon.StoryLifetime from now. Bad fields are EINVALID, all
// reported at once.
func (s *Service) CreateStory(ctx context.Context, in NewStory) (*numeneon.Story, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateNewStory(in); err != nil {
		return nil, err
	}
	id, err := newStoryID()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	st := &numeneon.Story{
		ID: id, UserID: me.ID, User: me,
		MediaType: in.MediaType, MediaURL: in.MediaURL, Caption: in.Caption,
		CreatedAt: now, ExpiresAt: now.Add(numeneon.StoryLifetime),
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateStory(ctx, st) })
	if err != nil {
		return nil, fmt.Errorf("create story of user %d: %w", me.ID, err)
	}
	return st, nil
}

// FeedStories returns the unexpired stories of the caller and the caller's
// friends, newest first.
func (s *Service) FeedStories(ctx context.Context, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if page, err = storyPage(page); err != nil {
		return nil, err
	}
	sts, err := s.store.ListFeedStories(ctx, me.ID, s.clock(), page)
	if err != nil {
		return nil, fmt.Errorf("list the story feed of user %d: %w", me.ID, err)
	}
	return sts, nil
}

// UserStories returns the unexpired stories of userID, newest first: the
// caller's own or a friend's; anyone else's list is empty, as if they had
// posted none. An unknown user is ENOTFOUND.
func (s *Service) UserStories(ctx context.Context, userID int64, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if page, err = storyPage(page); err != nil {
		return nil, err
	}
	if userID != me.ID {
		if err := s.requireUser(ctx, userID); err != nil {
			return nil, err
		}
		friends, err := s.store.AreFriends(ctx, me.ID, userID)
		if err != nil {
			return nil, fmt.Errorf("check friendship of %d and %d: %w", me.ID, userID, err)
		}
		if !friends {
			return nil, nil
		}
	}
	sts, err := s.store.ListUserStories(ctx, userID, me.ID, s.clock(), page)
	if err != nil {
		return nil, fmt.Errorf("list the stories of user %d for %d: %w", userID, me.ID, err)
	}
	return sts, nil
}

// storyPage caps a page at storyListMax and puts its cursor in canonical
// form; a cursor that is not a story id is EINVALID.
func storyPage(p numeneon.StoryPage) (numeneon.StoryPage, error) {
	if p.Limit <= 0 || p.Limit > storyListMax {
		p.Limit = storyListMax
	}
	if p.Before != "" {
		id, ok := parseStoryID(p.Before)
		if !ok {
			return p, numeneon.FieldError("before", "Must be a story id (a UUID).")
		}
		p.Before = id
	}
	return p, nil
}

// storyReader is what finding a visible story needs; both numeneon.Store
// and numeneon.Tx are one.
type storyReader interface {
	FindStory(ctx context.Context, id string, viewerID int64) (*numeneon.Story, error)
	AreFriends(ctx context.Context, a, b int64) (bool, error)
}

// visibleStory returns story id as me sees it, if me may see it: it is
// me's own or a friend's and has not expired. Anything else, a malformed id
// included, is ENOTFOUND, so nobody learns that a story they may not see
// exists.
func (s *Service) visibleStory(ctx context.Context, q storyReader, me *numeneon.User, id string) (*numeneon.Story, error) {
	st, err := s.findStory(ctx, q, me, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.maySee(ctx, q, me, st); err != nil {
		return nil, err
	} else if !ok {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgStoryMissing)
	}
	return st, nil
}

// findStory returns story id whoever owns it and however old, or ENOTFOUND.
func (s *Service) findStory(ctx context.Context, q storyReader, me *numeneon.User, id string) (*numeneon.Story, error) {
	canonical, ok := parseStoryID(id)
	if !ok {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgStoryMissing)
	}
	st, err := q.FindStory(ctx, canonical, me.ID)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgStoryMissing)
	} else if err != nil {
		return nil, fmt.Errorf("find story %s: %w", canonical, err)
	}
	return st, nil
}

// maySee reports whether me may see st: their own or a friend's, unexpired.
func (s *Service) maySee(ctx context.Context, q storyReader, me *numeneon.User, st *numeneon.Story) (bool, error) {
	if st.Expired(s.clock()) {
		return false, nil
	}
	if st.UserID == me.ID {
		return true, nil
	}
	friends, err := q.AreFriends(ctx, me.ID, st.UserID)
	if err != nil {
		return false, fmt.Errorf("check friendship of %d and %d: %w", me.ID, st.UserID, err)
	}
	return friends, nil
}

// DeleteStory deletes the caller's story id, expired or not, with its views
// and reactions; replies to it keep their text and show no story. Another
// user's story is EFORBIDDEN when the caller can see it, ENOTFOUND otherwise.
func (s *Service) DeleteStory(ctx context.Context, id string) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		st, err := s.findStory(ctx, tx, me, id)
		if err != nil {
			return err
		}
		if st.UserID != me.ID {
			if ok, err := s.maySee(ctx, tx, me, st); err != nil {
				return err
			} else if !ok {
				return numeneon.Errorf(numeneon.ENOTFOUND, msgStoryMissing)
			}
			return numeneon.Errorf(numeneon.EFORBIDDEN, "You can only delete your own stories.")
		}
		return tx.DeleteStory(ctx, st.ID)
	})
	if err != nil {
		return fmt.Errorf("delete story %q as user %d: %w", id, me.ID, err)
	}
	return nil
}

// ViewStory records that the caller saw story id, once per viewer; the
// owner's own views are not counted. It returns the view count after it.
func (s *Service) ViewStory(ctx context.Context, id string) (*StoryViewResult, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var res *StoryViewResult
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		st, err := s.visibleStory(ctx, tx, me, id)
		if err != nil {
			return err
		}
		if st.UserID == me.ID {
			res = &StoryViewResult{ViewCount: st.ViewCount, Message: "Your own views are not counted."}
			return nil
		}
		added, err := tx.AddStoryView(ctx, st.ID, me.ID, s.clock())
		if err != nil {
			return fmt.Errorf("add view: %w", err)
		}
		if !added {
			res = &StoryViewResult{ViewCount: st.ViewCount, Message: "Story already viewed."}
			return nil
		}
		// Read again rather than add one: other viewers may have committed
		// since the story was read.
		if st, err = tx.FindStory(ctx, st.ID, me.ID); err != nil {
			return fmt.Errorf("count views: %w", err)
		}
		res = &StoryViewResult{ViewCount: st.ViewCount}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("view story %q as user %d: %w", id, me.ID, err)
	}
	return res, nil
}

// ReactToStory makes typ (heart or thunder, else EINVALID) the caller's
// one reaction to story id, replacing another, and tells the owner with a
// story_reaction event unless the caller is the owner. Repeating the same
// reaction changes nothing and raises no event. It returns the story with
// its counts after the change.
func (s *Service) ReactToStory(ctx context.Context, id, typ string) (*numeneon.Story, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	switch typ {
	case numeneon.ReactionHeart, numeneon.ReactionThunder:
	case "":
		return nil, numeneon.FieldError("reaction_type", "This field is required.")
	default:
		return nil, numeneon.FieldError("reaction_type", `Must be "heart" or "thunder".`)
	}
	var (
		st    *numeneon.Story
		notes []*numeneon.Notification
	)
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		notes = nil // Update may run this again
		var err error
		if st, err = s.visibleStory(ctx, tx, me, id); err != nil {
			return err
		}
		if err := refuseIfBlocked(ctx, tx, me.ID, st.UserID); err != nil {
			return err
		}
		changed, err := tx.SetStoryReaction(ctx, st.ID, me.ID, typ, s.clock())
		if err != nil {
			return fmt.Errorf("set reaction: %w", err)
		}
		if changed && st.UserID != me.ID {
			n, err := storeNotification(ctx, tx, st.UserID, numeneon.EventStoryReaction,
				storyReactionEvent{StoryID: st.ID, ReactionType: typ, User: ShortUser(me)})
			if err != nil {
				return err
			}
			notes = append(notes, n)
		}
		if st, err = tx.FindStory(ctx, st.ID, me.ID); err != nil {
			return fmt.Errorf("count reactions: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("react to story %q as user %d: %w", id, me.ID, err)
	}
	s.publish(ctx, notes...)
	return st, nil
}

// UnreactToStory removes the caller's reaction to story id; ENOTFOUND when
// there is none or the caller may not see the story.
func (s *Service) UnreactToStory(ctx context.Context, id string) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		st, err := s.visibleStory(ctx, tx, me, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteStoryReaction(ctx, st.ID, me.ID); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, "You have not reacted to this story.")
		} else if err != nil {
			return fmt.Errorf("delete reaction: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove reaction to story %q as user %d: %w", id, me.ID, err)
	}
	return nil
}

// replyStory returns what a message from me to receiverID shows of story
// id, the story it replies to: a story me can see (else ENOTFOUND) and
// that receiverID posted (else EINVALID), since a reply goes to the story's
// owner.
func (s *Service) replyStory(ctx context.Context, me *numeneon.User, receiverID int64, id string) (*numeneon.MessageStory, error) {
	st, err := s.visibleStory(ctx, s.store, me, id)
	if err != nil {
		return nil, err
	}
	if st.UserID != receiverID {
		return nil, numeneon.FieldError("reply_to_story", "A story reply must be sent to the story's author.")
	}
	return &numeneon.MessageStory{ID: st.ID, MediaURL: st.MediaURL, MediaType: st.MediaType, ExpiresAt: st.ExpiresAt}, nil
}

// markStoryExpiry sets Expired on the stories msgs reply to, by the
// service's clock.
func (s *Service) markStoryExpiry(msgs ...*numeneon.Message) {
	now := s.clock()
	for _, m := range msgs {
		if m != nil && m.Story != nil {
			m.Story.Expired = !now.Before(m.Story.ExpiresAt)
		}
	}
}
