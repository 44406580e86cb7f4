// Package client is a Go client of NUMENEON's public HTTP and WebSocket API.
// It speaks only the public contract, so it can drive
// any deployment: the load tool (numeneon bench) and the end-to-end tests
// use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client is one user's session against one server.
type Client struct {
	BaseURL string // http://host:port, without a trailing slash
	HTTP    *http.Client
	Access  string
	Refresh string
	UserID  int64
	Name    string
}

// New returns a client of the server at baseURL sharing httpClient (nil: a
// client with sane timeouts).
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = DefaultHTTPClient()
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: httpClient}
}

// DefaultHTTPClient returns an HTTP client that keeps many idle connections
// per host, as a load client needs.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4096
	t.MaxIdleConnsPerHost = 1024
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// WithBase returns a copy of c, logged in as the same user, that talks to
// another server (another worker or instance).
func (c *Client) WithBase(baseURL string) *Client {
	cp := *c
	cp.BaseURL = strings.TrimRight(baseURL, "/")
	return &cp
}

// StatusError is an HTTP answer other than the one expected.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Do sends a JSON request and decodes a JSON answer into out (when not nil).
// An answer whose status differs from want is a *StatusError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Access != "" {
		req.Header.Set("Authorization", "Bearer "+c.Access)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Signup creates the account and logs in.
func (c *Client) Signup(ctx context.Context, username, email, password string) error {
	in := map[string]string{"username": username, "email": email, "password": password}
	if err := c.Do(ctx, "POST", "/api/auth/signup/", in, nil, http.StatusCreated); err != nil {
		return err
	}
	return c.Login(ctx, email, password)
}

// Login gets a token pair and the user's id.
func (c *Client) Login(ctx context.Context, email, password string) error {
	var out struct{ Access, Refresh string }
	in := map[string]string{"email": email, "password": password}
	if err := c.Do(ctx, "POST", "/api/auth/login/", in, &out, http.StatusOK); err != nil {
		return err
	}
	c.Access, c.Refresh = out.Access, out.Refresh
	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	if err := c.Do(ctx, "GET", "/api/auth/me/", nil, &me, http.StatusOK); err != nil {
		return err
	}
	c.UserID, c.Name = me.ID, me.Username
	return nil
}

// FriendRequest is an incoming request as the API lists it.
type FriendRequest struct {
	ID       int64 `json:"id"`
	FromUser struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	} `json:"from_user"`
}

// RequestFriend sends a friend request to userID.
func (c *Client) RequestFriend(ctx context.Context, userID int64) error {
	return c.Do(ctx, "POST", "/api/friends/request/"+strconv.FormatInt(userID, 10)+"/", nil, nil, http.StatusCreated)
}

// IncomingRequests lists the pending requests to this user.
func (c *Client) IncomingRequests(ctx context.Context) ([]FriendRequest, error) {
	var out []FriendRequest
	err := c.Do(ctx, "GET", "/api/friends/requests/", nil, &out, http.StatusOK)
	return out, err
}

// AcceptFriend accepts a pending request.
func (c *Client) AcceptFriend(ctx context.Context, requestID int64) error {
	return c.Do(ctx, "POST", "/api/friends/accept/"+strconv.FormatInt(requestID, 10)+"/", nil, nil, http.StatusCreated)
}

// Message is a direct message as the API returns it.
type Message struct {
	ID        int64     `json:"id"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
	Sender    struct {
		ID int64 `json:"id"`
	} `json:"sender"`
	Receiver struct {
		ID int64 `json:"id"`
	} `json:"receiver"`
}

// SendMessage sends a direct message.
func (c *Client) SendMessage(ctx context.Context, receiverID int64, content string) (*Message, error) {
	var m Message
	in := map[string]any{"receiver_id": receiverID, "content": content}
	if err := c.Do(ctx, "POST", "/api/messages/", in, &m, http.StatusCreated); err != nil {
		return nil, err
	}
	return &m, nil
}

// Notification is a stored event as GET /api/notifications/ lists it.
type Notification struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	Read bool            `json:"read"`
}

// Notifications lists stored events with id > since.
func (c *Client) Notifications(ctx context.Context, since int64, limit int) ([]Notification, error) {
	var out []Notification
	path := fmt.Sprintf("/api/notifications/?since=%d&limit=%d", since, limit)
	err := c.Do(ctx, "GET", path, nil, &out, http.StatusOK)
	return out, err
}

// Befriend makes a and b friends: a requests, b accepts.
func Befriend(ctx context.Context, a, b *Client) error {
	if err := a.RequestFriend(ctx, b.UserID); err != nil {
		return err
	}
	reqs, err := b.IncomingRequests(ctx)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if r.FromUser.ID == a.UserID {
			return b.AcceptFriend(ctx, r.ID)
		}
	}
	return fmt.Errorf("request from %d not listed for %d", a.UserID, b.UserID)
}
