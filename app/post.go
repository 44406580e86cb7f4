package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// Limits of a post's fields. A post may be as long as a message; a media
// URL as long as an avatar's.
const (
	maxPostLen      = 5000
	maxPostURLLen   = maxAvatarLen
	postListMax     = 500 // the most posts one list returns, as the api's largest limit
	msgPostMissing  = "Post not found."
	msgNotYourPost  = "You can only change or delete your own posts."
	msgNotYourWall  = "You can only post on your own wall or a friend's."
	msgUnknownRefFn = "Invalid pk \"%d\" - object does not exist."
)

// NewPost is what a user posts. Zero ids mean "none".
type NewPost struct {
	Content  string
	Type     string // "" is numeneon.PostThoughts
	MediaURL string // "" is none
	// ParentID makes the post a comment on that post.
	ParentID int64
	// TargetProfileID posts on that user's wall: the caller's own or a
	// friend's. A comment is never on a wall, so it is ignored with
	// ParentID (the client may send the wall of the post it comments on).
	TargetProfileID int64
	// ReplyToCommentID makes a comment an @reply to that comment, which
	// must be a comment on the same parent.
	ReplyToCommentID int64
	// MentionedUserID or MentionedUsername name the user an @reply
	// mentions; when both are given they must name the same user.
	MentionedUserID   int64
	MentionedUsername string
}

// PostEdit lists the fields an edit changes; nil means "leave as is".
type PostEdit struct {
	Content  *string
	Type     *string
	MediaURL *string // "" removes the media
}

// Like actions of the like route; "" toggles.
const (
	LikeToggle = ""
	LikeLike   = "like"
	LikeUnlike = "unlike"
)

// checkPostText adds the errors of a post's editable fields to fe.
func checkPostText(fe fieldErrors, content, typ, media string) {
	switch typ {
	case numeneon.PostThoughts, numeneon.PostMedia, numeneon.PostMilestones:
	default:
		fe.add("type", `Must be "thoughts", "media" or "milestones".`)
	}
	switch {
	case tooLong(content, maxPostLen):
		fe.add("content", fmt.Sprintf("Ensure this field has no more than %d characters.", maxPostLen))
	case !utf8.ValidString(content) || strings.ContainsRune(content, 0):
		// PostgreSQL cannot store NUL in text; neither store gets it.
		fe.add("content", "Must be text without NUL characters.")
	}
	switch {
	case media == "":
		if strings.TrimSpace(content) == "" {
			fe.add("content", "This field may not be blank unless the post has media.")
		}
	case tooLong(media, maxPostURLLen):
		fe.add("media_url", fmt.Sprintf("Ensure this field has no more than %d characters.", maxPostURLLen))
	case !validHTTPURL(media):
		fe.add("media_url", "Enter a valid http or https URL.")
	}
}

// postPage caps a page at postListMax.
func postPage(p numeneon.Page) (numeneon.Page, error) {
	if p.Limit <= 0 || p.Limit > postListMax {
		p.Limit = postListMax
	}
	if p.Before < 0 {
		return p, numeneon.FieldError("before", "A valid positive integer is required.")
	}
	return p, nil
}

// postRefs are the posts and users a new post points at, read and checked
// before its transaction.
type postRefs struct {
	parent, comment   *numeneon.Post
	target, mentioned *numeneon.User
}

// resolvePostRefs reads what in points at and checks that the caller may
// point there: unknown ids are EINVALID naming the field, a wall that is
// not the caller's or a friend's is EFORBIDDEN, and so is a block between
// the caller and a user the post reaches.
func (s *Service) resolvePostRefs(ctx context.Context, me *numeneon.User, in *NewPost) (postRefs, error) {
	var refs postRefs
	fe := fieldErrors{}
	unknown := func(field string, id int64) { fe.add(field, fmt.Sprintf(msgUnknownRefFn, id)) }
	findPost := func(field string, id int64) (*numeneon.Post, error) {
		p, err := s.store.FindPost(ctx, id, me.ID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			unknown(field, id)
			return nil, nil
		}
		return p, err
	}
	findUser := func(field string, id int64) (*numeneon.User, error) {
		u, err := s.store.FindUserByID(ctx, id)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND || (err == nil && !u.IsActive) {
			unknown(field, id)
			return nil, nil
		}
		return u, err
	}
	var err error
	if in.ParentID != 0 {
		if refs.parent, err = findPost("parent_id", in.ParentID); err != nil {
			return refs, fmt.Errorf("find parent post %d: %w", in.ParentID, err)
		}
		in.TargetProfileID = 0
	}
	if in.ReplyToCommentID != 0 {
		if in.ParentID == 0 {
			fe.add("parent_id", "A reply to a comment needs the post it is on.")
		} else if refs.comment, err = findPost("reply_to_comment_id", in.ReplyToCommentID); err != nil {
			return refs, fmt.Errorf("find comment %d: %w", in.ReplyToCommentID, err)
		} else if refs.comment != nil && (refs.comment.ParentID == nil || *refs.comment.ParentID != in.ParentID) {
			fe.add("reply_to_comment_id", "Must be a comment on the same post.")
		}
	}
	if in.TargetProfileID != 0 {
		if refs.target, err = findUser("target_profile_id", in.TargetProfileID); err != nil {
			return refs, fmt.Errorf("find wall owner %d: %w", in.TargetProfileID, err)
		}
	}
	if in.MentionedUserID != 0 {
		if refs.mentioned, err = findUser("mentioned_user_id", in.MentionedUserID); err != nil {
			return refs, fmt.Errorf("find mentioned user %d: %w", in.MentionedUserID, err)
		}
		if refs.mentioned != nil && in.MentionedUsername != "" && refs.mentioned.Username != in.MentionedUsername {
			fe.add("mentioned_username", "Does not name the user of mentioned_user_id.")
		}
	} else if in.MentionedUsername != "" {
		u, err := s.store.FindUserByUsername(ctx, in.MentionedUsername)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND || (err == nil && !u.IsActive) {
			fe.add("mentioned_username", "No user has this username.")
		} else if err != nil {
			return refs, fmt.Errorf("find mentioned user %q: %w", in.MentionedUsername, err)
		} else {
			refs.mentioned = u
		}
	}
	if err := fe.err(); err != nil {
		return refs, err
	}
	// A block stands between the caller and every user the post reaches:
	// the commented post's and comment's authors, the wall's owner, the
	// mentioned user.
	reached := []int64{}
	for _, p := range []*numeneon.Post{refs.parent, refs.comment} {
		if p != nil {
			reached = append(reached, p.AuthorID)
		}
	}
	for _, u := range []*numeneon.User{refs.target, refs.mentioned} {
		if u != nil {
			reached = append(reached, u.ID)
		}
	}
	for _, id := range reached {
		if err := refuseIfBlocked(ctx, s.store, me.ID, id); err != nil {
			return refs, err
		}
	}
	if refs.target != nil && refs.target.ID != me.ID {
		friends, err := s.store.AreFriends(ctx, me.ID, refs.target.ID)
		if err != nil {
			return refs, fmt.Errorf("check friendship of %d and %d: %w", me.ID, refs.target.ID, err)
		}
		if !friends {
			return refs, numeneon.Errorf(numeneon.EFORBIDDEN, msgNotYourWall)
		}
	}
	return refs, nil
}

// CreatePost posts in as the caller and raises its events (postevent.go).
// Bad fields are EINVALID, all reported at once; a wall that is not the
// caller's or a friend's is EFORBIDDEN. It returns the post as the caller
// sees it.
func (s *Service) CreatePost(ctx context.Context, in NewPost) (*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if in.Type == "" {
		in.Type = numeneon.PostThoughts
	}
	fe := fieldErrors{}
	checkPostText(fe, in.Content, in.Type, in.MediaURL)
	for _, f := range []struct {
		name string
		id   int64
	}{{"parent_id", in.ParentID}, {"target_profile_id", in.TargetProfileID}, {"reply_to_comment_id", in.ReplyToCommentID}, {"mentioned_user_id", in.MentionedUserID}} {
		if f.id < 0 {
			fe.add(f.name, fmt.Sprintf(msgUnknownRefFn, f.id))
		}
	}
	if tooLong(in.MentionedUsername, maxUsernameLen) || strings.ContainsRune(in.MentionedUsername, 0) || !utf8.ValidString(in.MentionedUsername) {
		fe.add("mentioned_username", "No user has this username.")
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	refs, err := s.resolvePostRefs(ctx, me, &in)
	if err != nil {
		return nil, err
	}
	p := &numeneon.Post{AuthorID: me.ID, Author: me, Content: in.Content, Type: in.Type}
	if in.MediaURL != "" {
		media := in.MediaURL
		p.MediaURL = &media
	}
	if refs.parent != nil {
		p.ParentID = &refs.parent.ID
	}
	if refs.target != nil {
		p.TargetProfileID, p.TargetProfile = &refs.target.ID, refs.target
	}
	if refs.comment != nil {
		p.ReplyToCommentID = &refs.comment.ID
	}
	if refs.mentioned != nil {
		p.MentionedUserID, p.MentionedUser = &refs.mentioned.ID, refs.mentioned
	}
	fan, err := s.planPostEvents(ctx, me, p, refs)
	if err != nil {
		return nil, err
	}
	var notes []*numeneon.Notification
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		notes = nil // Update may run this again
		if err := tx.CreatePost(ctx, p); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			// A post it points at was deleted since it was read.
			return numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
		} else if err != nil {
			return fmt.Errorf("create post: %w", err)
		}
		var err error
		notes, err = fan.store(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create post of user %d: %w", me.ID, err)
	}
	s.publish(ctx, notes...)
	return p, nil
}

// FindPost returns post id as the caller sees it, or ENOTFOUND. Every
// signed-in user may read every post, as in the original.
func (s *Service) FindPost(ctx context.Context, id int64) (*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.store.FindPost(ctx, id, me.ID)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
	} else if err != nil {
		return nil, fmt.Errorf("find post %d: %w", id, err)
	}
	return p, nil
}

// ListPosts returns the feed: with username "", the top-level posts of the
// caller and the caller's friends; else that user's own posts that are not
// on another's wall and the posts on their wall (an unknown username has
// none). Newest first.
func (s *Service) ListPosts(ctx context.Context, username string, page numeneon.Page) ([]*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if page, err = postPage(page); err != nil {
		return nil, err
	}
	if username == "" {
		ps, err := s.store.ListFeedPosts(ctx, me.ID, page)
		if err != nil {
			return nil, fmt.Errorf("list the feed of user %d: %w", me.ID, err)
		}
		return ps, nil
	}
	owner, err := s.store.FindUserByUsername(ctx, username)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find user %q: %w", username, err)
	}
	ps, err := s.store.ListProfilePosts(ctx, owner.ID, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list the posts of user %d: %w", owner.ID, err)
	}
	return ps, nil
}

// ListReplies returns the direct children of post id, newest first;
// ENOTFOUND for an unknown post.
func (s *Service) ListReplies(ctx context.Context, id int64, page numeneon.Page) ([]*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if page, err = postPage(page); err != nil {
		return nil, err
	}
	if _, err := s.FindPost(ctx, id); err != nil {
		return nil, err
	}
	ps, err := s.store.ListPostReplies(ctx, id, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list the replies to post %d: %w", id, err)
	}
	return ps, nil
}

// ownPost reads post id in tx and checks that me wrote it: ENOTFOUND for
// no such post, EFORBIDDEN for another's.
func ownPost(ctx context.Context, tx numeneon.Tx, me *numeneon.User, id int64) (*numeneon.Post, error) {
	p, err := tx.FindPost(ctx, id, me.ID)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
	} else if err != nil {
		return nil, fmt.Errorf("find post %d: %w", id, err)
	}
	if p.AuthorID != me.ID {
		return nil, numeneon.Errorf(numeneon.EFORBIDDEN, msgNotYourPost)
	}
	return p, nil
}

// EditPost changes the caller's post id and returns it after the change.
// Another's post is EFORBIDDEN; bad fields EINVALID.
func (s *Service) EditPost(ctx context.Context, id int64, edit PostEdit) (*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *numeneon.Post
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		p, err := ownPost(ctx, tx, me, id)
		if err != nil {
			return err
		}
		content, typ, media := p.Content, p.Type, ""
		if p.MediaURL != nil {
			media = *p.MediaURL
		}
		if edit.Content != nil {
			content = *edit.Content
		}
		if edit.Type != nil {
			typ = *edit.Type
		}
		if edit.MediaURL != nil {
			media = *edit.MediaURL
		}
		fe := fieldErrors{}
		checkPostText(fe, content, typ, media)
		if err := fe.err(); err != nil {
			return err
		}
		if err := tx.UpdatePost(ctx, id, numeneon.PostUpdate{Content: edit.Content, Type: edit.Type, MediaURL: edit.MediaURL}); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if out, err = tx.FindPost(ctx, id, me.ID); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("edit post %d as user %d: %w", id, me.ID, err)
	}
	return out, nil
}

// DeletePost deletes the caller's post id with its comments, likes and
// shares. Another's post is EFORBIDDEN.
func (s *Service) DeletePost(ctx context.Context, id int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if _, err := ownPost(ctx, tx, me, id); err != nil {
			return err
		}
		return tx.DeletePost(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("delete post %d as user %d: %w", id, me.ID, err)
	}
	return nil
}

// LikePost applies action (LikeLike, LikeUnlike or LikeToggle) to the
// caller's like of post id and returns the post after it. Liking twice
// or unliking a post not liked changes nothing.
func (s *Service) LikePost(ctx context.Context, id int64, action string) (*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	switch action {
	case LikeToggle, LikeLike, LikeUnlike:
	default:
		return nil, numeneon.FieldError("action", `Must be "like" or "unlike".`)
	}
	var out *numeneon.Post
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		p, err := tx.FindPost(ctx, id, me.ID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
		} else if err != nil {
			return fmt.Errorf("find: %w", err)
		}
		if err := refuseIfBlocked(ctx, tx, me.ID, p.AuthorID); err != nil {
			return err
		}
		like := action == LikeLike || (action == LikeToggle && !p.IsLiked)
		if like {
			_, err = tx.LikePost(ctx, id, me.ID)
		} else {
			_, err = tx.UnlikePost(ctx, id, me.ID)
		}
		if err != nil {
			return fmt.Errorf("like: %w", err)
		}
		if out, err = tx.FindPost(ctx, id, me.ID); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("like post %d as user %d: %w", id, me.ID, err)
	}
	return out, nil
}

// SharePost counts one share of post id by the caller and returns the post
// after it.
func (s *Service) SharePost(ctx context.Context, id int64) (*numeneon.Post, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *numeneon.Post
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		p, err := tx.FindPost(ctx, id, me.ID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
		} else if err != nil {
			return fmt.Errorf("find: %w", err)
		}
		if err := refuseIfBlocked(ctx, tx, me.ID, p.AuthorID); err != nil {
			return err
		}
		if err := tx.SharePost(ctx, id, me.ID); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgPostMissing)
		} else if err != nil {
			return fmt.Errorf("share: %w", err)
		}
		if out, err = tx.FindPost(ctx, id, me.ID); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("share post %d as user %d: %w", id, me.ID, err)
	}
	return out, nil
}

// sharedNotifications returns one notification of type typ with the same
// encoded data for each of userIDs: a fan-out encodes its data once.
func sharedNotifications(userIDs []int64, typ string, data any) ([]*numeneon.Notification, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	notes := make([]*numeneon.Notification, len(userIDs))
	for i, id := range userIDs {
		notes[i] = &numeneon.Notification{UserID: id, Type: typ, Data: b}
	}
	return notes, nil
}
