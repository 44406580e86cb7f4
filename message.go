package numeneon

import "time"

// Message is a direct message between two users.
type Message struct {
	ID         int64
	SenderID   int64
	ReceiverID int64
	Sender     *User // filled by list methods: at least ID and Username
	Receiver   *User // filled by list methods: at least ID and Username
	Content    string
	IsRead     bool
	StoryID    *string       // the story replied to, nil for none
	Story      *MessageStory // filled by list methods when the story still exists
	CreatedAt  time.Time
}

// Conversation is one entry of a user's inbox: the other user, the newest
// message between the two and how many of the other's messages are unread.
type Conversation struct {
	User        *User
	LastMessage *Message
	UnreadCount int
}
