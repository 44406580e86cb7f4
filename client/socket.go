package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"
)

// Event is one frame the server sent on the notification socket.
type Event struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	ID   int64           `json:"id"`
	// Raw is the frame as received.
	Raw []byte `json:"-"`
}

// Socket is an open /ws/notifications/ connection.
type Socket struct {
	Conn *websocket.Conn
	// Established is the connection_established frame.
	Established Event
}

// DialOptions choose how a socket authenticates and resumes.
type DialOptions struct {
	Since int64 // replay stored events with a larger id first; 0: none
	// Subprotocol sends the token in Sec-WebSocket-Protocol instead of the
	// query string.
	Subprotocol bool
	HTTPClient  *http.Client
}

// Dial opens the notification socket of c's user and waits for
// connection_established.
func (c *Client) Dial(ctx context.Context, opts DialOptions) (*Socket, error) {
	u := "ws" + strings.TrimPrefix(c.BaseURL, "http") + "/ws/notifications/"
	q := []string{}
	var dopts websocket.DialOptions
	dopts.HTTPClient = opts.HTTPClient
	if opts.Subprotocol {
		dopts.Subprotocols = []string{"access_token", c.Access}
	} else {
		q = append(q, "token="+c.Access)
	}
	if opts.Since > 0 {
		q = append(q, "since="+strconv.FormatInt(opts.Since, 10))
	}
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	conn, resp, err := websocket.Dial(ctx, u, &dopts)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial notifications: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial notifications: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	s := &Socket{Conn: conn}
	ev, err := s.Next(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, err
	}
	if ev.Type != "connection_established" {
		conn.CloseNow()
		return nil, fmt.Errorf("first frame is %q, want connection_established", ev.Type)
	}
	s.Established = ev
	return s, nil
}

// Next reads the next frame.
func (s *Socket) Next(ctx context.Context) (Event, error) {
	_, b, err := s.Conn.Read(ctx)
	if err != nil {
		return Event{}, err
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("decode frame %q: %w", b, err)
	}
	ev.Raw = b
	return ev, nil
}

// Send writes v as a JSON text frame.
func (s *Socket) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Conn.Write(ctx, websocket.MessageText, b)
}

// Close closes the socket normally.
func (s *Socket) Close() error {
	return s.Conn.Close(websocket.StatusNormalClosure, "")
}
