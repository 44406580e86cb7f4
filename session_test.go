package numeneon_test

import (
	"encoding/json"
	"testing"

	"github.com/numeneon/numeneon"
)

func TestSessionEndEnvelope(t *testing.T) {
	env := numeneon.SessionEndEnvelope(7, numeneon.CloseAccountInactive)
	if env.UserID != 7 || env.ID != 0 {
		t.Fatalf("envelope = %+v, want user 7 and no stored id", env)
	}
	if !json.Valid(env.Frame) {
		t.Fatalf("frame %s is not JSON", env.Frame)
	}
	code, ok := numeneon.SessionEndCode(env)
	if !ok || code != numeneon.CloseAccountInactive {
		t.Fatalf("SessionEndCode = %d, %v; want %d, true", code, ok, numeneon.CloseAccountInactive)
	}
	for _, other := range []numeneon.Envelope{
		{UserID: 7, Frame: numeneon.EventFrame(numeneon.EventTyping, json.RawMessage(`{}`), 0)},
		{UserID: 7, ID: 3, Frame: env.Frame}, // a stored id: an event, never a control
		{UserID: 7, Frame: []byte(`{"type":"_session_end","code":x}`)},
	} {
		if _, ok := numeneon.SessionEndCode(other); ok {
			t.Errorf("SessionEndCode(%s, id %d) = ok, want not a session end", other.Frame, other.ID)
		}
	}
}
