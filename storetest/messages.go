package storetest

import (
	"context"
	"math"
	"testing"

	"github.com/numeneon/numeneon"
)

// sendMessage stores a message from → to and returns it.
func sendMessage(t *testing.T, s numeneon.Store, from, to *numeneon.User, content string) *numeneon.Message {
	t.Helper()
	m := &numeneon.Message{SenderID: from.ID, ReceiverID: to.ID, Content: content}
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateMessage(ctx, m) })
	return m
}

// contents lists message contents, for readable diffs.
func contents(ms []*numeneon.Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

func testMessages(t *testing.T, open Opener) {
	t.Run("Create", func(t *testing.T) {
		s := open(t)
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		content := `héllo 👋 "quoted" 'single' \ %_ ; DROP TABLE messages; --`
		m := sendMessage(t, s, alice, bob, content)
		if m.ID <= 0 {
			t.Fatalf("CreateMessage set ID %d, want > 0", m.ID)
		}
		checkTimestamp(t, "Message.CreatedAt", m.CreatedAt)
		m2 := sendMessage(t, s, bob, alice, "second")
		if m2.ID <= m.ID {
			t.Fatalf("second message id %d, want > %d", m2.ID, m.ID)
		}
		if m2.CreatedAt.Before(m.CreatedAt) {
			t.Fatalf("second message created at %v, before the first at %v", m2.CreatedAt, m.CreatedAt)
		}

		got, err := s.ListConversation(context.Background(), alice.ID, bob.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d messages, want 2", len(got))
		}
		want := &numeneon.Message{
			ID: m.ID, SenderID: alice.ID, ReceiverID: bob.ID, Content: content, IsRead: false,
			CreatedAt: m.CreatedAt,
		}
		g := *got[0]
		if g.Sender == nil || g.Receiver == nil {
			t.Fatalf("listed message has Sender %v, Receiver %v; want both filled", g.Sender, g.Receiver)
		}
		diff(t, "sender", [2]any{alice.ID, "alice"}, [2]any{g.Sender.ID, g.Sender.Username})
		diff(t, "receiver", [2]any{bob.ID, "bob"}, [2]any{g.Receiver.ID, g.Receiver.Username})
		g.Sender, g.Receiver = nil, nil
		// CreatedAt must round-trip exactly: clients resume and compare by it.
		diff(t, "stored message", want, &g)
		if !got[0].CreatedAt.Equal(m.CreatedAt) {
			t.Fatalf("stored CreatedAt %v != returned %v", got[0].CreatedAt, m.CreatedAt)
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		for _, tc := range []struct {
			name     string
			from, to int64
		}{
			{"Receiver", alice.ID, alice.ID + 1000},
			{"Sender", alice.ID + 1000, alice.ID},
		} {
			err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
				return tx.CreateMessage(ctx, &numeneon.Message{SenderID: tc.from, ReceiverID: tc.to, Content: "hi"})
			})
			wantCode(t, err, numeneon.ENOTFOUND, "CreateMessage(unknown "+tc.name+")")
		}
		if ms, err := s.ListMessages(context.Background(), alice.ID, numeneon.Page{}); err != nil || len(ms) != 0 {
			t.Fatalf("ListMessages after failed sends = %v, %v; want none", contents(ms), err)
		}
	})

	t.Run("ListAndPage", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		var ms []*numeneon.Message
		for _, step := range []struct {
			from, to *numeneon.User
			text     string
		}{
			{alice, bob, "a1"}, {bob, alice, "b1"}, {carol, alice, "c1"}, {bob, carol, "bc"},
			{alice, carol, "a2"}, {bob, alice, "b2"}, {alice, bob, "a3"},
		} {
			ms = append(ms, sendMessage(t, s, step.from, step.to, step.text))
		}

		for _, tc := range []struct {
			name string
			list func(numeneon.Page) ([]*numeneon.Message, error)
			page numeneon.Page
			want []string
		}{
			{"AllOfAlice", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, alice.ID, p) },
				numeneon.Page{}, []string{"a1", "b1", "c1", "a2", "b2", "a3"}},
			{"NewestPage", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, alice.ID, p) },
				numeneon.Page{Limit: 2}, []string{"b2", "a3"}},
			{"OlderPage", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, alice.ID, p) },
				numeneon.Page{Limit: 2, Before: ms[5].ID}, []string{"c1", "a2"}},
			{"BeforeOnly", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, alice.ID, p) },
				numeneon.Page{Before: ms[2].ID}, []string{"a1", "b1"}},
			{"OfCarol", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, carol.ID, p) },
				numeneon.Page{}, []string{"c1", "bc", "a2"}},
			{"Conversation", func(p numeneon.Page) ([]*numeneon.Message, error) {
				return s.ListConversation(ctx, alice.ID, bob.ID, p)
			}, numeneon.Page{}, []string{"a1", "b1", "b2", "a3"}},
			{"ConversationOtherSide", func(p numeneon.Page) ([]*numeneon.Message, error) {
				return s.ListConversation(ctx, bob.ID, alice.ID, p)
			}, numeneon.Page{}, []string{"a1", "b1", "b2", "a3"}},
			{"ConversationPage", func(p numeneon.Page) ([]*numeneon.Message, error) {
				return s.ListConversation(ctx, alice.ID, bob.ID, p)
			}, numeneon.Page{Limit: 2, Before: ms[6].ID}, []string{"b1", "b2"}},
			// Cursors span int64, past PostgreSQL's int4.
			{"BeforeBeyondInt32", func(p numeneon.Page) ([]*numeneon.Message, error) { return s.ListMessages(ctx, carol.ID, p) },
				numeneon.Page{Before: 1 << 40}, []string{"c1", "bc", "a2"}},
			{"ConversationBeforeMaxInt64", func(p numeneon.Page) ([]*numeneon.Message, error) {
				return s.ListConversation(ctx, carol.ID, bob.ID, p)
			}, numeneon.Page{Before: math.MaxInt64}, []string{"bc"}},
			{"NoConversation", func(p numeneon.Page) ([]*numeneon.Message, error) {
				return s.ListConversation(ctx, alice.ID, alice.ID+1000, p)
			}, numeneon.Page{}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.list(tc.page)
				if err != nil {
					t.Fatal(err)
				}
				for i := 1; i < len(got); i++ {
					if got[i].ID <= got[i-1].ID {
						t.Fatalf("messages not ascending by id: %d then %d", got[i-1].ID, got[i].ID)
					}
				}
				for _, m := range got {
					if m.Sender == nil || m.Receiver == nil || m.Sender.ID != m.SenderID || m.Receiver.ID != m.ReceiverID || m.Sender.Username == "" {
						t.Fatalf("message %q: Sender/Receiver not filled to match SenderID/ReceiverID", m.Content)
					}
				}
				diff(t, "messages", tc.want, contents(got))
			})
		}
	})

	t.Run("MarkRead", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		sendMessage(t, s, bob, alice, "b1")
		sendMessage(t, s, alice, bob, "a1")
		b2 := sendMessage(t, s, bob, alice, "b2")
		sendMessage(t, s, carol, alice, "c1")

		markRead := func(receiver, sender *numeneon.User) (n, lastID int64) {
			t.Helper()
			update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
				n, lastID, err = tx.MarkMessagesRead(ctx, receiver.ID, sender.ID)
				return err
			})
			return n, lastID
		}
		// The last id is b2's, the newest of the two marked, not a1's or c1's.
		if n, lastID := markRead(alice, bob); n != 2 || lastID != b2.ID {
			t.Fatalf("MarkMessagesRead(alice, from bob) = %d, last id %d; want 2, last id %d", n, lastID, b2.ID)
		}
		if n, lastID := markRead(alice, bob); n != 0 || lastID != 0 {
			t.Fatalf("MarkMessagesRead again = %d, last id %d; want 0, 0", n, lastID)
		}
		got, err := s.ListMessages(ctx, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		read := make(map[string]bool)
		for _, m := range got {
			read[m.Content] = m.IsRead
		}
		diff(t, "IsRead by message", map[string]bool{"b1": true, "a1": false, "b2": true, "c1": false}, read)
	})
}

func testConversations(t *testing.T, open Opener) {
	t.Run("ManyPeers", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		me := createUser(t, s, "me")
		const peers = 30
		users := make([]*numeneon.User, peers)
		for i := range users {
			users[i] = createUser(t, s, name("peer%02d", i))
		}
		stranger := createUser(t, s, "stranger")

		type want struct {
			last   string
			unread int
		}
		expect := make(map[int64]*want)
		send := func(from, to *numeneon.User, text string) {
			m := sendMessage(t, s, from, to, text)
			peer := from
			if from.ID == me.ID {
				peer = to
			}
			w := expect[peer.ID]
			if w == nil {
				w = &want{}
				expect[peer.ID] = w
			}
			w.last = m.Content
			if to.ID == me.ID {
				w.unread++
			}
		}
		// Rounds in different orders, so that neither user id nor first
		// contact decides the inbox order: only the newest message does.
		for i := 0; i < peers; i++ {
			send(users[i], me, name("hello from %d", i))
		}
		for i := peers - 1; i >= 0; i -= 2 {
			send(me, users[i], name("reply to %d", i))
		}
		for i := 0; i < peers; i += 3 {
			send(users[i], me, name("again from %d", i))
		}
		for _, i := range []int{7, 3, 22} {
			send(me, users[i], name("last word to %d", i))
		}
		sendMessage(t, s, stranger, users[0], "not mine")
		// Reading one peer's messages clears only that peer's unread count.
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			_, _, err := tx.MarkMessagesRead(ctx, me.ID, users[9].ID)
			return err
		})
		expect[users[9].ID].unread = 0

		all, err := s.ListMessages(ctx, me.ID, numeneon.Page{}) // 58 messages, under the default limit
		if err != nil {
			t.Fatal(err)
		}
		// The expected order: peers by the id of their newest message, desc.
		var order []int64
		seen := make(map[int64]bool)
		for i := len(all) - 1; i >= 0; i-- {
			peer := all[i].SenderID
			if peer == me.ID {
				peer = all[i].ReceiverID
			}
			if !seen[peer] {
				seen[peer] = true
				order = append(order, peer)
			}
		}

		convs, err := s.ListConversations(ctx, me.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(convs) != peers {
			t.Fatalf("got %d conversations, want %d (one per peer)", len(convs), peers)
		}
		type entry struct {
			PeerID   int64
			Username string
			Last     string
			Unread   int
		}
		var wantEntries, gotEntries []entry
		for _, id := range order {
			var uname string
			for _, u := range users {
				if u.ID == id {
					uname = u.Username
				}
			}
			wantEntries = append(wantEntries, entry{id, uname, expect[id].last, expect[id].unread})
		}
		for _, c := range convs {
			if c.User == nil || c.LastMessage == nil {
				t.Fatalf("conversation %+v lacks User or LastMessage", c)
			}
			lm := c.LastMessage
			if lm.ID <= 0 || lm.CreatedAt.IsZero() || (lm.SenderID != me.ID && lm.ReceiverID != me.ID) {
				t.Fatalf("last message %+v is not a stored message of mine", lm)
			}
			if lm.Sender == nil || lm.Receiver == nil || lm.Sender.ID != lm.SenderID || lm.Receiver.ID != lm.ReceiverID {
				t.Fatalf("last message %q: Sender/Receiver not filled", lm.Content)
			}
			gotEntries = append(gotEntries, entry{c.User.ID, c.User.Username, lm.Content, c.UnreadCount})
		}
		diff(t, "conversations", wantEntries, gotEntries)

		limited, err := s.ListConversations(ctx, me.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(limited) != 5 {
			t.Fatalf("ListConversations(limit 5) returned %d", len(limited))
		}
		for i, c := range limited {
			if c.User.ID != order[i] {
				t.Fatalf("ListConversations(limit 5)[%d] = user %d, want %d", i, c.User.ID, order[i])
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		me := createUser(t, s, "me")
		convs, err := s.ListConversations(context.Background(), me.ID, 20)
		if err != nil || len(convs) != 0 {
			t.Fatalf("ListConversations with no messages = %v, %v; want none", convs, err)
		}
	})

	t.Run("ReadStateOfLastMessage", func(t *testing.T) {
		s := open(t)
		us := createUsers(t, s, "me", "bob")
		me, bob := us[0], us[1]
		sendMessage(t, s, bob, me, "one")
		last := sendMessage(t, s, bob, me, "two")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			_, _, err := tx.MarkMessagesRead(ctx, me.ID, bob.ID)
			return err
		})
		convs, err := s.ListConversations(context.Background(), me.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(convs) != 1 {
			t.Fatalf("got %d conversations, want 1", len(convs))
		}
		c := convs[0]
		if c.UnreadCount != 0 || !c.LastMessage.IsRead || c.LastMessage.ID != last.ID {
			t.Fatalf("conversation = unread %d, last %+v; want 0 unread and message %d read", c.UnreadCount, c.LastMessage, last.ID)
		}
		if !c.LastMessage.CreatedAt.Equal(last.CreatedAt) {
			t.Fatalf("last message CreatedAt %v, want %v", c.LastMessage.CreatedAt, last.CreatedAt)
		}
	})
}
