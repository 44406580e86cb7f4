package main_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testbrowser"
)

// TestWebUIPaging: a long thread and a long feed load their newest page
// first and the rest on demand, in order, nothing twice.
func TestWebUIPaging(t *testing.T) {
	browser := testbrowser.Start(t)
	p := startProc(t, baseEnv(t))
	ctx := t.Context()
	writer, reader := newUser(t, p.URL, "writer"), newUser(t, p.URL, "reader")
	if err := client.Befriend(ctx, writer, reader); err != nil {
		t.Fatal(err)
	}
	const messages, posts = 105, 25
	for i := range messages {
		if _, err := writer.SendMessage(ctx, reader.UserID, fmt.Sprintf("m%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range posts {
		body := map[string]string{"content": fmt.Sprintf("p%02d", i)}
		if err := writer.Do(ctx, "POST", "/api/posts/", body, nil, http.StatusCreated); err != nil {
			t.Fatal(err)
		}
	}

	r := openPage(t, browser, "reader", p.URL)
	loginPage(r, reader)
	r.waitFor("first page of the feed", `document.querySelectorAll('#feed .post').length === 20 && !!document.querySelector('#feed .more-posts')`, 5*time.Second)
	r.click("#feed .more-posts")
	r.waitFor("whole feed", `document.querySelectorAll('#feed .post').length === 25 && !document.querySelector('#feed .more-posts')`, 5*time.Second)
	if got := eval[string](r, `[...document.querySelectorAll('#feed .post-text')].map(e => e.textContent).join()`); got != seq("p%02d", posts, true) {
		t.Errorf("feed = %s", got)
	}

	r.goTo(fmt.Sprintf("#/messages/%d", writer.UserID))
	r.waitFor("newest 100 messages", `document.querySelectorAll('#thread .msg-text').length === 100 && !document.querySelector('.older').hidden`, 5*time.Second)
	r.click(".older")
	r.waitFor("whole thread", `document.querySelectorAll('#thread .msg-text').length === 105 && document.querySelector('.older').hidden`, 5*time.Second)
	if got := eval[string](r, `[...document.querySelectorAll('#thread .msg-text')].map(e => e.textContent).join()`); got != seq("m%03d", messages, false) {
		t.Errorf("thread = %s", got)
	}
	r.shot("thread-paged")
}

// seq is format applied to 0..n-1, comma-joined, newest first when desc.
func seq(format string, n int, desc bool) string {
	out := ""
	for i := range n {
		k := i
		if desc {
			k = n - 1 - i
		}
		if out != "" {
			out += ","
		}
		out += fmt.Sprintf(format, k)
	}
	return out
}
