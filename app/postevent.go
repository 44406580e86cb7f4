package app

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

// The events a new post raises (API.md), decided before its transaction
// and stored in it:
//
//   - a top-level post on no wall or on the author's own: new_post to every
//     friend of the author;
//   - a post on a friend's wall: wall_post to that friend;
//   - a comment: post_comment to the parent's author, and when it mentions
//     a user (an @reply), comment_reply to that user. The original sent
//     only the comment_reply then; ours also tells the parent's author,
//     unless the parent's author is the one mentioned (who then gets the
//     comment_reply alone). Nobody is told about their own post.
//
// Every notification of one post is written with one CreateNotifications
// call (one statement per table) and published with one Layer.Publish call
// after the commit, so a post to 5,000 friends costs a few statements and
// one pipelined batch.
type postEvents struct {
	me           *numeneon.User
	friends      []int64 // new_post receivers
	wallOwner    int64   // wall_post receiver, 0 for none
	parentAuthor int64   // post_comment receiver, 0 for none
	mentioned    *numeneon.User
	parentID     int64
}

// planPostEvents decides who hears of p, reading the author's friends for
// a new_post before the transaction (a fan-out list read inside it would
// hold the transaction open for as long).
func (s *Service) planPostEvents(ctx context.Context, me *numeneon.User, p *numeneon.Post, refs postRefs) (*postEvents, error) {
	ev := &postEvents{me: me}
	switch {
	case refs.parent != nil:
		ev.parentID = refs.parent.ID
		if refs.mentioned != nil && refs.mentioned.ID != me.ID {
			ev.mentioned = refs.mentioned
		}
		if a := refs.parent.AuthorID; a != me.ID && (ev.mentioned == nil || ev.mentioned.ID != a) {
			ev.parentAuthor = a
		}
	case refs.target != nil && refs.target.ID != me.ID:
		ev.wallOwner = refs.target.ID
	default:
		friends, err := s.store.FriendIDs(ctx, me.ID)
		if err != nil {
			return nil, fmt.Errorf("list friends of %d for a new post: %w", me.ID, err)
		}
		ev.friends = friends
	}
	return ev, nil
}

// store writes the notifications of p, just created in tx, and returns them
// for publishing after the commit.
func (ev *postEvents) store(ctx context.Context, tx numeneon.Tx, p *numeneon.Post) ([]*numeneon.Notification, error) {
	post := NewPostObject(p, 0)
	var notes []*numeneon.Notification
	add := func(userIDs []int64, typ string, data any) error {
		if len(userIDs) == 0 {
			return nil
		}
		ns, err := sharedNotifications(userIDs, typ, data)
		notes = append(notes, ns...)
		return err
	}
	var err error
	switch {
	case len(ev.friends) > 0:
		err = add(ev.friends, numeneon.EventNewPost, post)
	case ev.wallOwner != 0:
		err = add([]int64{ev.wallOwner}, numeneon.EventWallPost, wallPostEvent{
			Message: ev.me.Username + " posted on your wall", Post: post, Author: TinyUser(ev.me),
		})
	}
	if err != nil {
		return nil, err
	}
	if ev.mentioned != nil {
		err := add([]int64{ev.mentioned.ID}, numeneon.EventCommentReply, commentReplyEvent{
			Message: ev.me.Username + " replied to your comment", Replier: ShortUser(ev.me),
			Reply: replyContent{Content: p.Content, ID: p.ID}, Post: postRef{ID: ev.parentID},
			MentionedUsername: ev.mentioned.Username,
		})
		if err != nil {
			return nil, err
		}
	}
	if ev.parentAuthor != 0 {
		// Read in tx, so the parent's counts include this comment.
		parent, err := tx.FindPost(ctx, ev.parentID, 0)
		if err != nil {
			return nil, fmt.Errorf("read the parent post %d: %w", ev.parentID, err)
		}
		err = add([]int64{ev.parentAuthor}, numeneon.EventPostComment, postCommentEvent{
			Message: ev.me.Username + " commented on your post", Commenter: ShortUser(ev.me),
			Post: NewPostObject(parent, 0), Comment: post,
		})
		if err != nil {
			return nil, err
		}
	}
	if err := tx.CreateNotifications(ctx, notes); err != nil {
		return nil, fmt.Errorf("store %d post events: %w", len(notes), err)
	}
	return notes, nil
}
