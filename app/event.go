package app

import (
	"time"

	"github.com/numeneon/numeneon"
)

// TimeLayout is how every timestamp reaches the client: UTC, microseconds,
// "Z", as Django REST framework renders them (2026-01-30T12:00:00.123456Z).
// Stored event data and HTTP bodies use the same layout, so a client parses
// one format whichever way an object arrives.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string {
	return t.UTC().Format(TimeLayout)
}

// UserShort is the "short" user object of the API: {id, username,
// first_name, last_name}.
type UserShort struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// UserTiny is the "tiny" user object of the API: {id, username}.
type UserTiny struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// ShortUser returns the short form of u.
func ShortUser(u *numeneon.User) UserShort {
	return UserShort{ID: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}
}

// TinyUser returns the tiny form of u.
func TinyUser(u *numeneon.User) UserTiny {
	return UserTiny{ID: u.ID, Username: u.Username}
}

// Event data, exactly as API.md's "Events" table lists it. These are stored
// with the notification and sent to sockets unchanged.
type (
	friendRequestEvent struct {
		RequestID int64     `json:"request_id"`
		FromUser  UserShort `json:"from_user"`
	}
	friendAcceptedEvent struct {
		Friend UserShort `json:"friend"`
	}
	newMessageEvent struct {
		ID        int64    `json:"id"`
		Sender    UserTiny `json:"sender"`
		Content   string   `json:"content"`
		CreatedAt string   `json:"created_at"`
	}
	// friendRemovedEvent tells the other side of a friendship that User
	// ended it.
	friendRemovedEvent struct {
		User UserTiny `json:"user"`
	}
	// friendRequestCancelledEvent tells the recipient that FromUser
	// withdrew request RequestID.
	friendRequestCancelledEvent struct {
		RequestID int64    `json:"request_id"`
		FromUser  UserTiny `json:"from_user"`
	}
	// friendRequestDeclinedEvent tells the sender that By declined
	// request RequestID.
	friendRequestDeclinedEvent struct {
		RequestID int64    `json:"request_id"`
		By        UserTiny `json:"by"`
	}
	// messagesReadEvent says that Reader has read every message
	// OtherUserID sent them up to id UpToID. The reader's own sockets and
	// the sender get the same data.
	messagesReadEvent struct {
		Reader      UserTiny `json:"reader"`
		OtherUserID int64    `json:"other_user_id"`
		UpToID      int64    `json:"up_to_id"`
	}
)
