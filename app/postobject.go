package app

import "github.com/numeneon/numeneon"

// UserFull is the "full" user object of the API: {id, username, email,
// first_name, last_name, date_joined, profile_picture}. Email is present
// only when the viewer is that user (the original leaked everyone's).
type UserFull struct {
	ID             int64   `json:"id"`
	Username       string  `json:"username"`
	Email          *string `json:"email,omitempty"`
	FirstName      string  `json:"first_name"`
	LastName       string  `json:"last_name"`
	DateJoined     string  `json:"date_joined"`
	ProfilePicture *string `json:"profile_picture"`
}

// FullUser returns the full form of u as viewerID sees it.
func FullUser(u *numeneon.User, viewerID int64) UserFull {
	out := UserFull{
		ID:             u.ID,
		Username:       u.Username,
		FirstName:      u.FirstName,
		LastName:       u.LastName,
		DateJoined:     FormatTime(u.DateJoined),
		ProfilePicture: u.Profile.Avatar,
	}
	if u.ID == viewerID && viewerID != 0 {
		email := u.Email
		out.Email = &email
	}
	return out
}

// PostObject is the "Post" object of the API, as one viewer sees it: the
// HTTP answers and the post events carry it.
type PostObject struct {
	ID             int64     `json:"id"`
	Author         UserFull  `json:"author"`
	Content        string    `json:"content"`
	Type           string    `json:"type"`
	MediaURL       *string   `json:"media_url"`
	CreatedAt      string    `json:"created_at"`
	UpdatedAt      string    `json:"updated_at"`
	Parent         *int64    `json:"parent"`
	TargetProfile  *UserFull `json:"target_profile"`
	ReplyToComment *int64    `json:"reply_to_comment"`
	MentionedUser  *UserFull `json:"mentioned_user"`
	ReplyCount     int       `json:"reply_count"`
	LikesCount     int       `json:"likes_count"`
	CommentCount   int       `json:"comment_count"`
	SharesCount    int       `json:"shares_count"`
	IsLiked        bool      `json:"is_liked"`
}

// NewPostObject renders p for viewerID. Events pass viewerID 0: an event's
// data is shared by every receiver, so it carries nobody's email.
func NewPostObject(p *numeneon.Post, viewerID int64) PostObject {
	author := p.Author
	if author == nil {
		author = &numeneon.User{ID: p.AuthorID}
	}
	out := PostObject{
		ID:             p.ID,
		Author:         FullUser(author, viewerID),
		Content:        p.Content,
		Type:           p.Type,
		MediaURL:       p.MediaURL,
		CreatedAt:      FormatTime(p.CreatedAt),
		UpdatedAt:      FormatTime(p.UpdatedAt),
		Parent:         p.ParentID,
		ReplyToComment: p.ReplyToCommentID,
		ReplyCount:     p.ReplyCount,
		LikesCount:     p.LikesCount,
		CommentCount:   p.CommentCount,
		SharesCount:    p.SharesCount,
		IsLiked:        p.IsLiked,
	}
	if p.TargetProfile != nil {
		u := FullUser(p.TargetProfile, viewerID)
		out.TargetProfile = &u
	}
	if p.MentionedUser != nil {
		u := FullUser(p.MentionedUser, viewerID)
		out.MentionedUser = &u
	}
	return out
}

// Post event data, exactly as API.md's "Events" table lists it.
type (
	// wallPostEvent tells a user that Author posted on their wall.
	wallPostEvent struct {
		Message string     `json:"message"`
		Post    PostObject `json:"post"`
		Author  UserTiny   `json:"author"`
	}
	// postCommentEvent tells a post's author that Commenter commented.
	postCommentEvent struct {
		Message   string     `json:"message"`
		Commenter UserShort  `json:"commenter"`
		Post      PostObject `json:"post"`
		Comment   PostObject `json:"comment"`
	}
	// commentReplyEvent tells the mentioned user that Replier answered
	// their comment on post Post.ID.
	commentReplyEvent struct {
		Message           string       `json:"message"`
		Replier           UserShort    `json:"replier"`
		Reply             replyContent `json:"reply"`
		Post              postRef      `json:"post"`
		MentionedUsername string       `json:"mentioned_username"`
	}
	replyContent struct {
		Content string `json:"content"`
		ID      int64  `json:"id"`
	}
	postRef struct {
		ID int64 `json:"id"`
	}
)
