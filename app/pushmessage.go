package app

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/numeneon/numeneon"
)

// pushBodyMax bounds a push body in characters: a lock screen shows two
// lines, and push services cap the whole encrypted message near 4 KB.
const pushBodyMax = 140

// pushPayload is the JSON a push message carries, what the client's service
// worker shows: a title, a body, the URL to open when it is tapped, and a
// tag (one notification per conversation or thread replaces the previous).
// type and id are the stored event's, for a client that wants more.
type pushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
	Type  string `json:"type"`
	ID    int64  `json:"id"`
}

// pushedEvents are the events a user without a socket is pushed.
var pushedEvents = map[string]bool{
	numeneon.EventNewMessage:     true,
	numeneon.EventFriendRequest:  true,
	numeneon.EventFriendAccepted: true,
	numeneon.EventWallPost:       true,
	numeneon.EventPostComment:    true,
	numeneon.EventCommentReply:   true,
	numeneon.EventStoryReaction:  true,
}

// eventFields is what the push text needs from the stored event data of
// every pushed type (API.md's Events table); absent fields stay empty.
type eventFields struct {
	Content  string `json:"content"`   // new_message
	Sender   who    `json:"sender"`    // new_message
	FromUser who    `json:"from_user"` // friend_request
	Friend   who    `json:"friend"`    // friend_accepted
	Author   who    `json:"author"`    // wall_post
	Post     struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
	} `json:"post"` // wall_post, post_comment, comment_reply
	Commenter who `json:"commenter"` // post_comment
	Comment   struct {
		Content string `json:"content"`
	} `json:"comment"` // post_comment
	Replier who `json:"replier"` // comment_reply
	Reply   struct {
		Content string `json:"content"`
	} `json:"reply"` // comment_reply
	User         who    `json:"user"`          // story_reaction
	ReactionType string `json:"reaction_type"` // story_reaction
}

type who struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// clip shortens s to pushBodyMax characters.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= pushBodyMax {
		return s
	}
	return string(r[:pushBodyMax-1]) + "…"
}

// pushMessage builds the push of a stored event; false for an event type
// that is not pushed.
func pushMessage(n *numeneon.Notification) (pushPayload, bool) {
	if !pushedEvents[n.Type] {
		return pushPayload{}, false
	}
	var f eventFields
	// A field of another shape only leaves that part of the text empty.
	_ = json.Unmarshal(n.Data, &f)
	p := pushPayload{Type: n.Type, ID: n.ID}
	id := strconv.FormatInt
	switch n.Type {
	case numeneon.EventNewMessage:
		p.Title = "New message from " + f.Sender.Username
		p.Body = clip(f.Content)
		p.URL = "/messages/" + id(f.Sender.ID, 10)
		p.Tag = "messages-" + id(f.Sender.ID, 10)
	case numeneon.EventFriendRequest:
		p.Title = "Friend request"
		p.Body = f.FromUser.Username + " wants to be your friend"
		p.URL, p.Tag = "/friends", "friend-requests"
	case numeneon.EventFriendAccepted:
		p.Title = "Friend request accepted"
		p.Body = f.Friend.Username + " accepted your friend request"
		p.URL, p.Tag = "/profile/"+f.Friend.Username, "friends"
	case numeneon.EventWallPost:
		p.Title = f.Author.Username + " posted on your wall"
		p.Body = clip(f.Post.Content)
		p.URL, p.Tag = "/profile", fmt.Sprintf("post-%d", f.Post.ID)
	case numeneon.EventPostComment:
		p.Title = f.Commenter.Username + " commented on your post"
		p.Body = clip(f.Comment.Content)
		p.URL, p.Tag = fmt.Sprintf("/posts/%d", f.Post.ID), fmt.Sprintf("post-%d", f.Post.ID)
	case numeneon.EventCommentReply:
		p.Title = f.Replier.Username + " replied to you"
		p.Body = clip(f.Reply.Content)
		p.URL, p.Tag = fmt.Sprintf("/posts/%d", f.Post.ID), fmt.Sprintf("post-%d", f.Post.ID)
	case numeneon.EventStoryReaction:
		p.Title = "Story reaction"
		p.Body = f.User.Username + " reacted " + reactionEmoji(f.ReactionType) + " to your story"
		p.URL, p.Tag = "/stories", "stories"
	}
	return p, true
}

func reactionEmoji(t string) string {
	switch t {
	case numeneon.ReactionHeart:
		return "❤️"
	case numeneon.ReactionThunder:
		return "⚡"
	}
	return t
}
