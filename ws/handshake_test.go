package ws_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/ws"
)

// roundTrip sends a raw HTTP request and returns the response, whose body
// is read already.
func roundTrip(t *testing.T, s *testServer, req string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	nc, err := s.dial(ctx)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read response body: %v", err)
		}
	}
	return resp, string(body)
}

func TestHandshakeAccept(t *testing.T) {
	s := newServer(t, serverConfig{})
	resp, _ := roundTrip(t, s, handshakeRequest(""))
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	// The example of RFC 6455 section 1.3.
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Errorf("Sec-WebSocket-Accept = %q, want %q", got, want)
	}
	if got := resp.Header.Get("Upgrade"); !strings.EqualFold(got, "websocket") {
		t.Errorf("Upgrade = %q, want websocket", got)
	}
	if got := resp.Header.Get("Connection"); !strings.EqualFold(got, "upgrade") {
		t.Errorf("Connection = %q, want Upgrade", got)
	}
	if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 0 {
		t.Errorf("Sec-WebSocket-Protocol = %q without a subprotocol chosen, want none", got)
	}
	if got := resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
		t.Errorf("Sec-WebSocket-Extensions = %q, want none negotiated", got)
	}
}

// Header tokens are compared without regard to case, and Connection may
// carry other tokens, as browsers send "keep-alive, Upgrade".
func TestHandshakeTokens(t *testing.T) {
	s := newServer(t, serverConfig{})
	req := "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n" +
		"Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	resp, _ := roundTrip(t, s, req)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	// base64(SHA-1("AQIDBAUGBwgJCgsMDQ4PEA==" + GUID)).
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY="; got != want {
		t.Errorf("Sec-WebSocket-Accept = %q, want %q", got, want)
	}
	if got := resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
		t.Errorf("Sec-WebSocket-Extensions = %q, want the offered extension refused", got)
	}
}

func TestHandshakeSubprotocol(t *testing.T) {
	s := newServer(t, serverConfig{opts: ws.Options{Subprotocol: "notifications.v2"}})
	resp, _ := roundTrip(t, s, handshakeRequest("Sec-WebSocket-Protocol: notifications.v1, notifications.v2\r\n"))
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "notifications.v2" {
		t.Errorf("Sec-WebSocket-Protocol = %q, want notifications.v2", got)
	}

	// A real client agrees.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{
		HTTPClient:   s.httpClient(),
		Subprotocols: []string{"notifications.v1", "notifications.v2"},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	if got := c.Subprotocol(); got != "notifications.v2" {
		t.Errorf("client's Subprotocol() = %q, want notifications.v2", got)
	}
}

func TestHandshakeRefused(t *testing.T) {
	const (
		host    = "Host: example.com\r\n"
		upgrade = "Upgrade: websocket\r\n"
		connHdr = "Connection: Upgrade\r\n"
		key     = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		version = "Sec-WebSocket-Version: 13\r\n"
	)
	tests := []struct {
		name   string
		req    string
		status int
		header map[string]string // headers the refusal must carry
	}{
		{"POST", "POST / HTTP/1.1\r\n" + host + upgrade + connHdr + key + version + "Content-Length: 0\r\n\r\n",
			http.StatusMethodNotAllowed, map[string]string{"Allow": "GET"}},
		{"plain GET", "GET / HTTP/1.1\r\n" + host + "\r\n",
			http.StatusUpgradeRequired, map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Version": "13"}},
		{"no Upgrade", "GET / HTTP/1.1\r\n" + host + connHdr + key + version + "\r\n",
			http.StatusUpgradeRequired, map[string]string{"Upgrade": "websocket"}},
		{"Upgrade to another protocol", "GET / HTTP/1.1\r\n" + host + "Upgrade: h2c\r\n" + connHdr + key + version + "\r\n",
			http.StatusUpgradeRequired, map[string]string{"Upgrade": "websocket"}},
		{"no Connection: Upgrade", "GET / HTTP/1.1\r\n" + host + upgrade + "Connection: keep-alive\r\n" + key + version + "\r\n",
			http.StatusUpgradeRequired, map[string]string{"Upgrade": "websocket"}},
		{"version 8", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + key + "Sec-WebSocket-Version: 8\r\n\r\n",
			http.StatusUpgradeRequired, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"no version", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + key + "\r\n",
			http.StatusUpgradeRequired, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"no key", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + version + "\r\n",
			http.StatusBadRequest, nil},
		{"key not base64", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + "Sec-WebSocket-Key: not base64!\r\n" + version + "\r\n",
			http.StatusBadRequest, nil},
		{"key of 15 bytes", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4P\r\n" + version + "\r\n",
			http.StatusBadRequest, nil},
		{"HTTP/1.0", "GET / HTTP/1.0\r\n" + host + upgrade + connHdr + key + version + "\r\n",
			http.StatusHTTPVersionNotSupported, nil},
		{"key of 17 bytes", "GET / HTTP/1.1\r\n" + host + upgrade + connHdr + "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEBE=\r\n" + version + "\r\n",
			http.StatusBadRequest, nil},
	}
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := roundTrip(t, s, tt.req)
				if resp.StatusCode != tt.status {
					t.Fatalf("status = %d (%q), want %d", resp.StatusCode, body, tt.status)
				}
				for k, want := range tt.header {
					if got := resp.Header.Get(k); !strings.EqualFold(got, want) {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "" {
					t.Errorf("a refusal carries Sec-WebSocket-Accept %q", got)
				}
				err := s.upgradeErr(t)
				var herr *ws.HandshakeError
				if !errors.As(err, &herr) {
					t.Fatalf("Upgrade returned %v (%T), want a *ws.HandshakeError", err, err)
				}
				if herr.Status != tt.status {
					t.Errorf("HandshakeError.Status = %d, want %d", herr.Status, tt.status)
				}
			})
		}
	})
}

// A client may send its first frames right behind the request, before the
// response arrives; net/http has read them into its buffer by the time
// Upgrade runs, and they must reach the handler in order.
func TestHandshakeEarlyFrames(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		third := clientFrame(ws.OpBinary, "third, cut in two")
		rc, sc := dialRaw(t, s,
			clientFrame(ws.OpText, "first"),
			clientFrame(ws.OpPing, "early ping"),
			clientFrame(ws.OpText, "second"),
			third[:5])
		rc.expectFrame(ws.OpPong, "early ping")
		sc.rec.waitMessages(t, 2)
		rc.send(third[5:])
		got := sc.rec.waitMessages(t, 3)
		want := []message{{ws.OpText, "first"}, {ws.OpText, "second"}, {ws.OpBinary, "third, cut in two"}}
		if !slices.Equal(got, want) {
			t.Errorf("messages = %q, want %q", got, want)
		}
	})
}

// A close frame sent right behind the request ends the connection as one
// sent later would.
func TestHandshakeEarlyClose(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		rc, sc := dialRaw(t, s, clientFrame(ws.OpText, "hello"), closeFrame(1000, "done"))
		if reason := rc.expectClose(ws.StatusNormalClosure); reason != "" {
			t.Logf("close reason echoed: %q", reason)
		}
		err := sc.rec.waitClosed(t)
		var ce *ws.CloseError
		if !errors.As(err, &ce) || ce.Code != ws.StatusNormalClosure || ce.Reason != "done" {
			t.Errorf("Closed(%v), want *CloseError{1000, done}", err)
		}
		if got := sc.rec.received(); !slices.Equal(got, []message{{ws.OpText, "hello"}}) {
			t.Errorf("messages = %q, want the one sent before the close frame", got)
		}
	})
}
