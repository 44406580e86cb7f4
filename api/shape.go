package api

import (
	"encoding/json"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// The JSON objects the client reads, exactly as API.md lists them. Field
// order follows the original's serializers, which keeps diffs against its
// answers readable.

// userFull is "User (full)". Email is only present for the user themself
// (the original leaked everyone's). The app owns the shape, since post
// events carry it too.
type userFull = app.UserFull

func newUserFull(u *numeneon.User, viewerID int64) userFull { return app.FullUser(u, viewerID) }

// profile is "Profile", with its user nested.
type profile struct {
	ID        int64    `json:"id"`
	User      userFull `json:"user"`
	Bio       string   `json:"bio"`
	Avatar    *string  `json:"avatar"`
	Location  string   `json:"location"`
	Website   string   `json:"website"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

func newProfile(u *numeneon.User, viewerID int64) profile {
	p := u.Profile
	return profile{
		ID:        p.ID,
		User:      newUserFull(u, viewerID),
		Bio:       p.Bio,
		Avatar:    p.Avatar,
		Location:  p.Location,
		Website:   p.Website,
		CreatedAt: app.FormatTime(p.CreatedAt),
		UpdatedAt: app.FormatTime(p.UpdatedAt),
	}
}

// account is what me/, profile/ and signup answer for the caller's own user.
// date_joined at the top level is ours: the client shows "Joined Recently"
// when it is missing there.
type account struct {
	ID         int64   `json:"id"`
	Username   string  `json:"username"`
	Email      string  `json:"email"`
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	DateJoined string  `json:"date_joined"`
	Profile    profile `json:"profile"`
}

func newAccount(u *numeneon.User) account {
	return account{
		ID:         u.ID,
		Username:   u.Username,
		Email:      u.Email,
		FirstName:  u.FirstName,
		LastName:   u.LastName,
		DateJoined: app.FormatTime(u.DateJoined),
		Profile:    newProfile(u, u.ID),
	}
}

// userCard is the entry of search results, friend lists and suggestions:
// the short user plus the picture the client shows beside the name.
// Search results also carry it as "avatar", the key the client reads there.
type userCard struct {
	ID             int64   `json:"id"`
	Username       string  `json:"username"`
	FirstName      string  `json:"first_name"`
	LastName       string  `json:"last_name"`
	ProfilePicture *string `json:"profile_picture"`
	Avatar         *string `json:"avatar,omitempty"`
}

func newUserCards(users []*numeneon.User, withAvatar bool) []userCard {
	out := make([]userCard, len(users))
	for i, u := range users {
		out[i] = userCard{ID: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, ProfilePicture: u.Profile.Avatar}
		if withAvatar {
			out[i].Avatar = u.Profile.Avatar
		}
	}
	return out
}

// friendCard is a friend in the friend list: a userCard and whether they
// have a socket open now.
type friendCard struct {
	userCard
	IsOnline bool `json:"is_online"`
}

// friendRequest is an incoming request.
type friendRequest struct {
	ID        int64         `json:"id"`
	FromUser  app.UserShort `json:"from_user"`
	CreatedAt string        `json:"created_at"`
}

// message is "Message". Story is null unless it replies to a story that
// still exists.
type message struct {
	ID        int64         `json:"id"`
	Sender    app.UserTiny  `json:"sender"`
	Receiver  app.UserTiny  `json:"receiver"`
	Content   string        `json:"content"`
	IsRead    bool          `json:"is_read"`
	CreatedAt string        `json:"created_at"`
	Story     *messageStory `json:"story"`
}

func newMessage(m *numeneon.Message) message {
	return message{
		ID:        m.ID,
		Sender:    tinyOrID(m.Sender, m.SenderID),
		Receiver:  tinyOrID(m.Receiver, m.ReceiverID),
		Content:   m.Content,
		IsRead:    m.IsRead,
		CreatedAt: app.FormatTime(m.CreatedAt),
		Story:     newMessageStory(m.Story),
	}
}

func newMessages(ms []*numeneon.Message) []message {
	out := make([]message, len(ms))
	for i, m := range ms {
		out[i] = newMessage(m)
	}
	return out
}

// tinyOrID keeps the shape whole if a store left a user unfilled.
func tinyOrID(u *numeneon.User, id int64) app.UserTiny {
	if u == nil {
		return app.UserTiny{ID: id}
	}
	return app.TinyUser(u)
}

// conversation is one inbox entry.
type conversation struct {
	User        app.UserTiny `json:"user"`
	LastMessage message      `json:"last_message"`
	UnreadCount int          `json:"unread_count"`
}

// notification is a stored event.
type notification struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt string          `json:"created_at"`
	Read      bool            `json:"read"`
}
