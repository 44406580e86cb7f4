package numeneon

import (
	"context"
	"time"
)

// StoryLifetime is how long a story is shown after it is posted.
const StoryLifetime = 24 * time.Hour

// Story media types and reaction types, as the client sends them.
const (
	StoryImage      = "image"
	StoryVideo      = "video"
	ReactionHeart   = "heart"
	ReactionThunder = "thunder"
)

// Story is a photo or video a user shares with their friends for
// StoryLifetime. ID is a UUID in its canonical lower-case form with dashes.
//
// The counts and the viewer's fields are what one viewer sees: they are
// filled by the find and list methods for the viewer they are given.
type Story struct {
	ID        string
	UserID    int64
	User      *User // filled by find and list methods: id, username, names, avatar
	MediaURL  string
	MediaType string // StoryImage or StoryVideo
	Caption   string
	CreatedAt time.Time
	ExpiresAt time.Time

	IsViewed     bool   // the viewer has a recorded view
	MyReaction   string // the viewer's reaction type, "" when none
	ViewCount    int
	HeartCount   int
	ThunderCount int
}

// Expired reports whether the story is past its lifetime at now.
func (s *Story) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// MessageStory is what a message shows of the story it replies to.
type MessageStory struct {
	ID        string
	MediaURL  string
	MediaType string
	ExpiresAt time.Time
	// Expired is set by the app, which owns the clock; stores leave it false.
	Expired bool
}

// StoryPage bounds a story list: at most Limit stories (a store default of
// 100 applies to Limit <= 0), and when Before is a story id, only stories
// posted before that one (a cursor for older stories).
type StoryPage struct {
	Limit  int
	Before string
}

// StoryStore is the part of Store about stories. Lists return unexpired
// stories only, newest first (by creation time, then id); find returns a
// story whatever its age, for the app to decide. Every method runs in a
// fixed number of queries, whatever the number of stories, views and
// reactions.
type StoryStore interface {
	// FindStory returns story id with User, the counts and viewerID's
	// fields filled, or ENOTFOUND.
	FindStory(ctx context.Context, id string, viewerID int64) (*Story, error)
	// ListFeedStories returns the stories of viewerID and of viewerID's
	// friends that have not expired at now, with viewerID's fields.
	ListFeedStories(ctx context.Context, viewerID int64, now time.Time, page StoryPage) ([]*Story, error)
	// ListUserStories returns ownerID's stories that have not expired at
	// now, with viewerID's fields. It does not check that viewerID may see
	// them: the app does.
	ListUserStories(ctx context.Context, ownerID, viewerID int64, now time.Time, page StoryPage) ([]*Story, error)
}

// StoryTx is the part of Tx about stories.
type StoryTx interface {
	// CreateStory inserts st as given: the caller sets ID, CreatedAt and
	// ExpiresAt (the app owns the clock). An unknown user is ENOTFOUND, a
	// taken id ECONFLICT.
	CreateStory(ctx context.Context, st *Story) error
	// FindStory is StoryStore.FindStory inside the transaction.
	FindStory(ctx context.Context, id string, viewerID int64) (*Story, error)
	// DeleteStory removes the story with its views and reactions, or
	// returns ENOTFOUND. Messages that replied to it keep their text and
	// lose the story.
	DeleteStory(ctx context.Context, id string) error
	// AddStoryView records that viewerID saw the story at at. It reports
	// false, and changes nothing, when that viewer's view is already
	// recorded. An unknown story or user is ENOTFOUND.
	AddStoryView(ctx context.Context, storyID string, viewerID int64, at time.Time) (added bool, err error)
	// SetStoryReaction makes typ userID's one reaction to the story,
	// replacing another type. It reports false, and changes nothing, when
	// userID had already reacted with typ. An unknown story or user is
	// ENOTFOUND.
	SetStoryReaction(ctx context.Context, storyID string, userID int64, typ string, at time.Time) (changed bool, err error)
	// DeleteStoryReaction removes userID's reaction to the story, or
	// returns ENOTFOUND when there is none.
	DeleteStoryReaction(ctx context.Context, storyID string, userID int64) error
	// PurgeExpiredStories cleans up to limit stories that expired at or
	// before now and were not cleaned yet, oldest first: it deletes their
	// views and reactions, deletes the stories no message replies to, and
	// marks the others cleaned so they are not visited again. It returns
	// how many stories it cleaned; fewer than limit means none is left.
	PurgeExpiredStories(ctx context.Context, now time.Time, limit int) (int, error)
}
