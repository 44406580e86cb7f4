package api_test

import (
	"net/http/httptest"
	"testing"

	"github.com/numeneon/numeneon/api"
)

// TestEdgeIsSharedWithTheServer: the Edge handed to NewServer is the one the
// socket hub also asks, so a handshake counted by one is counted by both, and
// its origin policy is the API's.
func TestEdgeIsSharedWithTheServer(t *testing.T) {
	edge, err := api.NewEdge(api.EdgeConfig{AllowedOrigins: []string{"https://numeneon.example"}, Production: true, RateLimits: "socket=1/h"})
	if err != nil {
		t.Fatal(err)
	}
	srv := mustNewServer(t, api.Config{Edge: edge, RateLimits: "off"})
	r := httptest.NewRequest("GET", "/ws/notifications/", nil)
	r.RemoteAddr = "192.0.2.7:4000"
	if ok, _ := edge.AllowHandshake(r); !ok {
		t.Fatal("first handshake refused")
	}
	if ok, _ := srv.AllowHandshake(r); ok {
		t.Error("the server's handshake bucket is not the edge's: a second handshake was allowed under socket=1/h")
	}
	r.Header.Set("Origin", "https://numeneon.example")
	if !srv.CheckOrigin(r) || !edge.CheckOrigin(r) {
		t.Error("allowed origin refused")
	}
	r.Header.Set("Origin", "https://evil.example")
	if srv.CheckOrigin(r) || edge.CheckOrigin(r) {
		t.Error("foreign origin allowed")
	}
}

func TestNewEdgeRefusesBadSettings(t *testing.T) {
	for _, cfg := range []api.EdgeConfig{
		{RateLimits: "login=ten/m"},
		{AllowedOrigins: []string{"numeneon.example"}},
	} {
		if _, err := api.NewEdge(cfg); err == nil {
			t.Errorf("NewEdge(%+v) accepted it", cfg)
		}
	}
}
