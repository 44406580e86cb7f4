package numeneon

import "time"

// FriendRequest is a pending request from FromUser to ToUser. Accepting it
// deletes it and creates the friendship (both directions).
type FriendRequest struct {
	ID         int64
	FromUserID int64
	ToUserID   int64
	FromUser   *User // filled by list and find methods (id, username, names, profile)
	ToUser     *User // filled by list and find methods
	CreatedAt  time.Time
}
