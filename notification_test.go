package numeneon_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
)

func TestEventFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  string
		data string
		id   int64
		want map[string]any
	}{
		{"stored event", "new_message", `{"id":7,"content":"hi"}`, 12,
			map[string]any{"type": "new_message", "data": map[string]any{"id": 7.0, "content": "hi"}, "id": 12.0}},
		{"not stored: no id", "typing", `{"user":{"id":1}}`, 0,
			map[string]any{"type": "typing", "data": map[string]any{"user": map[string]any{"id": 1.0}}}},
		{"no data", "presence", ``, 3,
			map[string]any{"type": "presence", "data": nil, "id": 3.0}},
		{"type needing escapes", "a\"b\\c\n", `[]`, 1,
			map[string]any{"type": "a\"b\\c\n", "data": []any{}, "id": 1.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := numeneon.EventFrame(tc.typ, json.RawMessage(tc.data), tc.id)
			var got map[string]any
			if err := json.Unmarshal(frame, &got); err != nil {
				t.Fatalf("frame %s is not JSON: %v", frame, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("frame %s (-want +got):\n%s", frame, diff)
			}
		})
	}
}

func TestNotificationEnvelope(t *testing.T) {
	n := &numeneon.Notification{UserID: 4, ID: 9, Type: numeneon.EventFriendAccepted, Data: json.RawMessage(`{"friend":{"id":2}}`)}
	env := n.Envelope()
	if env.UserID != 4 || env.ID != 9 {
		t.Fatalf("envelope = %+v, want user 4 id 9", env)
	}
	want := `{"type":"friend_accepted","data":{"friend":{"id":2}},"id":9}`
	if string(env.Frame) != want {
		t.Errorf("frame = %s, want %s", env.Frame, want)
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	wrapped := fmt.Errorf("send message: %w", numeneon.Errorf(numeneon.ENOTFOUND, "Receiver not found"))
	for _, tc := range []struct {
		err       error
		code, msg string
	}{
		{nil, "", ""},
		{wrapped, numeneon.ENOTFOUND, "Receiver not found"},
		{errors.New("connection reset"), numeneon.EINTERNAL, "Internal error."},
		{numeneon.FieldError("bio", "too long"), numeneon.EINVALID, "bio: too long"},
	} {
		if got := numeneon.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := numeneon.ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
	}
}

func FuzzEventFrame(f *testing.F) {
	f.Add("new_message", `{"a":1}`, int64(1))
	f.Add("", ``, int64(0))
	f.Fuzz(func(t *testing.T, typ, data string, id int64) {
		if data != "" && !json.Valid([]byte(data)) {
			t.Skip("data must be JSON")
		}
		frame := numeneon.EventFrame(typ, json.RawMessage(data), id)
		if !json.Valid(frame) {
			t.Fatalf("EventFrame(%q, %q, %d) = %s: not JSON", typ, data, id, frame)
		}
	})
}

// BenchmarkEventFrame: encoding one event, done once per publish and shared
// by every socket that receives it.
func BenchmarkEventFrame(b *testing.B) {
	data := json.RawMessage(`{"id":123456,"sender":{"id":42,"username":"alice"},"content":"see you at eight","created_at":"2026-11-27T12:00:00.123456Z"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = numeneon.EventFrame(numeneon.EventNewMessage, data, int64(i+1))
	}
}
