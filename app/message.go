package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// conversationLimit bounds the inbox; nobody scrolls past hundreds of
// conversations, and the store answers in a fixed number of queries.
const conversationLimit = 200

const (
	msgReceiverNotFound = "Receiver not found"
	msgMessageSelf      = "You cannot send a message to yourself."
)

// SendMessage sends content from the caller to receiverID and raises a
// new_message event for the receiver. The content is kept exactly as given,
// but must hold something other than white space and at most 5000
// characters (EINVALID). An unknown receiver is ENOTFOUND, oneself
// EINVALID, a block between the two EFORBIDDEN. storyID, when set, names the story the message replies to: one
// the caller can see (else ENOTFOUND) and the receiver posted (else EINVALID).
func (s *Service) SendMessage(ctx context.Context, receiverID int64, content string, storyID *string) (*numeneon.Message, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	if receiverID <= 0 {
		fe.add("receiver_id", "A valid integer is required.")
	}
	if strings.TrimSpace(content) == "" {
		fe.add("content", "This field may not be blank.")
	} else if utf8.RuneCountInString(content) > maxMessageLen {
		fe.add("content", fmt.Sprintf("Ensure this field has no more than %d characters.", maxMessageLen))
	}
	if storyID != nil {
		if _, ok := parseStoryID(*storyID); !ok {
			fe.add("reply_to_story", "Must be a valid UUID.")
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if receiverID == me.ID {
		return nil, numeneon.Errorf(numeneon.EINVALID, msgMessageSelf)
	}
	receiver, err := s.findUser(ctx, receiverID)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND || (err == nil && !receiver.IsActive) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, msgReceiverNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("find receiver %d: %w", receiverID, err)
	}
	if err := refuseIfBlocked(ctx, s.store, me.ID, receiver.ID); err != nil {
		return nil, err
	}
	var story *numeneon.MessageStory
	if storyID != nil {
		if story, err = s.replyStory(ctx, me, receiver.ID, *storyID); err != nil {
			return nil, err
		}
		storyID = &story.ID
	}

	m := &numeneon.Message{
		SenderID:   me.ID,
		ReceiverID: receiver.ID,
		Sender:     me,
		Receiver:   receiver,
		Content:    content,
		StoryID:    storyID,
		Story:      story,
	}
	n, err := s.commitMessage(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("send message from %d to %d: %w", me.ID, receiverID, err)
	}
	s.publish(ctx, n)
	return m, nil
}

// commitMessage is the one transaction of the message write path: the
// message row and the receiver's new_message notification, committed
// together. It is kept this small on purpose: it is the unit a group-commit
// writer batches, so it must not do anything but write m and its event.
func (s *Service) commitMessage(ctx context.Context, m *numeneon.Message) (*numeneon.Notification, error) {
	var n *numeneon.Notification
	err := s.messages.Update(ctx, m.ReceiverID, func(ctx context.Context, tx numeneon.Tx) error {
		n = nil // Update may run this again
		if err := tx.CreateMessage(ctx, m); numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			return numeneon.Errorf(numeneon.ENOTFOUND, msgReceiverNotFound)
		} else if err != nil {
			return fmt.Errorf("create message: %w", err)
		}
		var err error
		n, err = storeNotification(ctx, tx, m.ReceiverID, numeneon.EventNewMessage, newMessageEvent{
			ID:        m.ID,
			Sender:    TinyUser(m.Sender),
			Content:   m.Content,
			CreatedAt: FormatTime(m.CreatedAt),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ListMessages returns every message the caller sent or received, ascending
// by id (the newest page).
func (s *Service) ListMessages(ctx context.Context, page numeneon.Page) ([]*numeneon.Message, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.ListMessages(ctx, me.ID, page)
	if err != nil {
		return nil, fmt.Errorf("list messages of user %d: %w", me.ID, err)
	}
	s.markStoryExpiry(msgs...)
	return msgs, nil
}

// ListConversations returns the caller's inbox, newest conversation first.
func (s *Service) ListConversations(ctx context.Context) ([]*numeneon.Conversation, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	convs, err := s.store.ListConversations(ctx, me.ID, conversationLimit)
	if err != nil {
		return nil, fmt.Errorf("list conversations of user %d: %w", me.ID, err)
	}
	for _, c := range convs {
		s.markStoryExpiry(c.LastMessage)
	}
	return convs, nil
}

// Conversation returns the messages between the caller and otherID,
// ascending by id. An unknown user is ENOTFOUND. Only messages the caller
// sent or received can appear, whatever otherID is.
func (s *Service) Conversation(ctx context.Context, otherID int64, page numeneon.Page) ([]*numeneon.Message, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.requireUser(ctx, otherID); err != nil {
		return nil, err
	}
	msgs, err := s.store.ListConversation(ctx, me.ID, otherID, page)
	if err != nil {
		return nil, fmt.Errorf("list conversation of %d with %d: %w", me.ID, otherID, err)
	}
	s.markStoryExpiry(msgs...)
	return msgs, nil
}

// MarkConversationRead marks every message otherID sent to the caller read
// and returns how many changed. Only messages received by the caller change,
// so nobody can mark another user's messages. When some changed, a
// messages_read event goes to the caller's own sockets (their other devices
// clear the unread badge) and to otherID (who sees the messages read).
func (s *Service) MarkConversationRead(ctx context.Context, otherID int64) (int64, error) {
	me, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.requireUser(ctx, otherID); err != nil {
		return 0, err
	}
	var (
		marked int64
		notes  []*numeneon.Notification
	)
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		notes = nil // Update may run this again
		n, lastID, err := tx.MarkMessagesRead(ctx, me.ID, otherID)
		if err != nil {
			return err
		}
		marked = n
		if n == 0 {
			return nil
		}
		data := messagesReadEvent{Reader: TinyUser(me), OtherUserID: otherID, UpToID: lastID}
		for _, to := range []int64{me.ID, otherID} {
			note, err := storeNotification(ctx, tx, to, numeneon.EventMessagesRead, data)
			if err != nil {
				return err
			}
			notes = append(notes, note)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark messages from %d to %d read: %w", otherID, me.ID, err)
	}
	s.publish(ctx, notes...)
	return marked, nil
}
