package client

import (
	"context"
	"net/http"
)

// Post is a post as the API returns it (the fields the tools read).
type Post struct {
	ID      int64  `json:"id"`
	Content string `json:"content"`
	Author  struct {
		ID int64 `json:"id"`
	} `json:"author"`
}

// CreatePost posts content as a top-level thought.
func (c *Client) CreatePost(ctx context.Context, content string) (*Post, error) {
	var p Post
	in := map[string]any{"content": content, "type": "thoughts"}
	if err := c.Do(ctx, "POST", "/api/posts/", in, &p, http.StatusCreated); err != nil {
		return nil, err
	}
	return &p, nil
}

// Feed returns the first page of the caller's feed.
func (c *Client) Feed(ctx context.Context) ([]Post, error) {
	var out []Post
	err := c.Do(ctx, "GET", "/api/posts/", nil, &out, http.StatusOK)
	return out, err
}
