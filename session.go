package numeneon

import (
	"bytes"
	"strconv"
)

// Close codes a process uses when it ends a user's sockets because of a
// change to the account rather than to the connection.
const (
	// CloseSessionEnded: the user signed out everywhere or changed the
	// password; the client must authenticate again.
	CloseSessionEnded = 4001
	// CloseAccountInactive: the account was deactivated.
	CloseAccountInactive = 4003
)

// sessionEndPrefix starts the frame of a session-end envelope. The type
// begins with an underscore, which no event the client reads has, so the
// hub can tell the envelope from an event by its first bytes.
const sessionEndPrefix = `{"type":"_session_end","code":`

// SessionEndEnvelope tells every process holding sockets of userID to close
// them with code (CloseSessionEnded or CloseAccountInactive). It travels on
// the user's channel like an event, is never stored, and is never sent to a
// client: the hub acts on it instead (see SessionEndCode).
func SessionEndEnvelope(userID int64, code int) Envelope {
	b := append([]byte(sessionEndPrefix), strconv.Itoa(code)...)
	return Envelope{UserID: userID, Frame: append(b, '}')}
}

// SessionEndCode reports whether env is a session-end envelope and, if so,
// the close code it carries.
func SessionEndCode(env Envelope) (code int, ok bool) {
	if env.ID != 0 || !bytes.HasPrefix(env.Frame, []byte(sessionEndPrefix)) {
		return 0, false
	}
	rest := bytes.TrimSuffix(env.Frame[len(sessionEndPrefix):], []byte("}"))
	n, err := strconv.Atoi(string(rest))
	if err != nil {
		return 0, false
	}
	return n, true
}
