package numeneon

import (
	"context"
	"time"
)

// Post types, as the client sends them.
const (
	PostThoughts   = "thoughts"
	PostMedia      = "media"
	PostMilestones = "milestones"
)

// Post is a post, a comment (ParentID set) or an @reply to a comment
// (ReplyToCommentID set, on the same parent). A top-level post with
// TargetProfileID set is on that user's wall.
//
// The counts and IsLiked are what one viewer sees: find and list methods
// compute them from the rows (likes, shares, comments, replies) for the
// viewer they are given, so they are exact whatever ran concurrently.
type Post struct {
	ID       int64
	AuthorID int64
	// Author, TargetProfile and MentionedUser are filled by find and list
	// methods: id, username, email, names, date joined and avatar.
	Author    *User
	Content   string
	Type      string  // PostThoughts, PostMedia or PostMilestones
	MediaURL  *string // nil when none
	CreatedAt time.Time
	UpdatedAt time.Time

	ParentID         *int64 // the post this comments on
	TargetProfileID  *int64 // the wall this is posted on
	TargetProfile    *User
	ReplyToCommentID *int64 // the comment this replies to
	MentionedUserID  *int64
	MentionedUser    *User

	ReplyCount   int // posts replying to this one (ReplyToCommentID)
	LikesCount   int
	CommentCount int // direct children (ParentID)
	SharesCount  int
	IsLiked      bool // the viewer likes it
}

// PostUpdate lists the fields an edit changes; nil means "leave as is".
// MediaURL set to a pointer to "" clears the media.
type PostUpdate struct {
	Content  *string
	Type     *string
	MediaURL *string
}

// PostStore is the part of Store about posts. Lists are newest first (by
// id) and paged by id (Page.Before); every method runs in a fixed number of
// queries, whatever the number of posts, likes and comments.
type PostStore interface {
	// FindPost returns post id as viewerID sees it, or ENOTFOUND.
	FindPost(ctx context.Context, id, viewerID int64) (*Post, error)
	// ListFeedPosts returns the top-level posts written by viewerID or
	// by viewerID's friends.
	ListFeedPosts(ctx context.Context, viewerID int64, page Page) ([]*Post, error)
	// ListProfilePosts returns ownerID's top-level posts that are not on
	// another user's wall, and the top-level posts on ownerID's wall.
	ListProfilePosts(ctx context.Context, ownerID, viewerID int64, page Page) ([]*Post, error)
	// ListPostReplies returns the direct children of postID (its
	// comments, @replies included).
	ListPostReplies(ctx context.Context, postID, viewerID int64, page Page) ([]*Post, error)
}

// PostTx is the part of Tx about posts and about the notifications a post
// fans out.
type PostTx interface {
	// CreatePost inserts p and sets p.ID, p.CreatedAt and p.UpdatedAt.
	// An unknown author, parent, target, comment or mentioned user is
	// ENOTFOUND.
	CreatePost(ctx context.Context, p *Post) error
	// FindPost is PostStore.FindPost inside the transaction.
	FindPost(ctx context.Context, id, viewerID int64) (*Post, error)
	// UpdatePost applies the non-nil fields of upd and bumps updated_at,
	// or returns ENOTFOUND.
	UpdatePost(ctx context.Context, id int64, upd PostUpdate) error
	// DeletePost removes the post with its comments (recursively), likes
	// and shares, or returns ENOTFOUND. Replies to it lose their
	// ReplyToCommentID.
	DeletePost(ctx context.Context, id int64) error
	// LikePost records userID's like of the post. It reports false, and
	// changes nothing, when the like is already there. An unknown post or
	// user is ENOTFOUND.
	LikePost(ctx context.Context, postID, userID int64) (bool, error)
	// UnlikePost removes userID's like, reporting false when there was
	// none.
	UnlikePost(ctx context.Context, postID, userID int64) (bool, error)
	// SharePost records one share of the post by userID (a user may share
	// a post several times). An unknown post or user is ENOTFOUND.
	SharePost(ctx context.Context, postID, userID int64) error

	// CreateNotifications stores every n of notes as CreateNotification
	// would, in one batch (one statement per table, whatever len(notes)),
	// so a post's fan-out to thousands of friends costs a few statements.
	// Ids of each user follow the order of notes.
	CreateNotifications(ctx context.Context, notes []*Notification) error
	// PruneNotifications deletes up to limit notifications created before
	// before, oldest first, and returns how many it deleted; fewer than
	// limit means none is left. Each user's counter is kept, so ids are
	// never reused.
	PruneNotifications(ctx context.Context, before time.Time, limit int) (int, error)
}
