package api

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// The edge's cost on the hot path: a message body's text check, and the
// parameter check of a paged list. Compare with -run '^$' -bench Edge.

func BenchmarkEdgeTextProblem(b *testing.B) {
	raw := []byte(`"` + string(bytes.Repeat([]byte("hello, how are you? é "), 10)) + `"`)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if textProblem(raw) != "" {
			b.Fatal("refused")
		}
	}
}

func BenchmarkEdgeDecodeMessage(b *testing.B) {
	body := []byte(`{"receiver_id": 2, "content": "hello, how are you? this is a message of ordinary length"}`)
	for b.Loop() {
		var in messageRequest
		r := httptest.NewRequest("POST", "/api/messages/", bytes.NewReader(body))
		if err := decodeJSON(r, &in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEdgeCheckParams(b *testing.B) {
	var rt route
	for _, r := range routeTable {
		if r.method == "GET" && r.pattern == "/api/messages/conversation/{user_id}/" {
			rt = r
		}
	}
	r := httptest.NewRequest("GET", "/api/messages/conversation/2/?limit=50&before=12345", nil)
	r.SetPathValue("user_id", "2")
	for b.Loop() {
		if err := checkParams(&rt, r); err != nil {
			b.Fatal(err)
		}
	}
}
