package redis

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/numeneon/numeneon"
)

// A message on a user's channel carries one or more envelopes of that user,
// each as
//
//	<decimal id> ',' <decimal frame length> ':' <frame bytes>
//
// The length makes the format binary-safe, and several envelopes of one user
// queued together travel in one PUBLISH: fewer commands per delivered event.
// The user id is not repeated: it is the channel's.

// appendEnvelope appends the encoding of env to buf.
func appendEnvelope(buf []byte, env numeneon.Envelope) []byte {
	buf = strconv.AppendInt(buf, env.ID, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(len(env.Frame)), 10)
	buf = append(buf, ':')
	return append(buf, env.Frame...)
}

var errMalformed = errors.New("malformed layer message")

// decodeEnvelopes calls fn for each envelope in payload, in order. Frames
// share payload's memory (capped so an append cannot spill into the next
// frame); payload must not be modified afterwards. It stops at the first
// malformed record and reports it, after delivering the ones before it.
func decodeEnvelopes(userID int64, payload []byte, fn func(numeneon.Envelope)) error {
	for len(payload) > 0 {
		comma := bytes.IndexByte(payload, ',')
		if comma < 0 {
			return errMalformed
		}
		id, err := strconv.ParseInt(string(payload[:comma]), 10, 64)
		if err != nil {
			return errMalformed
		}
		payload = payload[comma+1:]
		colon := bytes.IndexByte(payload, ':')
		if colon < 0 {
			return errMalformed
		}
		n, err := strconv.Atoi(string(payload[:colon]))
		if err != nil || n < 0 || n > len(payload)-colon-1 {
			return errMalformed
		}
		payload = payload[colon+1:]
		fn(numeneon.Envelope{UserID: userID, ID: id, Frame: payload[:n:n]})
		payload = payload[n:]
	}
	return nil
}
