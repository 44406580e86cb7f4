package pglayer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// maxPayload is the largest NOTIFY payload PostgreSQL accepts: it refuses
// 8,000 bytes or more (NOTIFY_PAYLOAD_MAX_LENGTH).
const maxPayload = 7999

// maxHeader is the longest header a payload starts with: a sequence number
// (a uint64 in base 36, 13 digits at most) and ';'.
const maxHeader = 14

// maxBody is what the records of one payload may take.
const maxBody = maxPayload - maxHeader

// A payload is a sequence of records, each
//
//	kind userID ' ' id ' ' length ':' data
//
// where kind is 'j' (data is the frame as it is: valid UTF-8 without NUL, as
// every JSON frame is), 'b' (data is the frame in standard base64: a payload
// must be text in the database encoding) or 'r' (no data: a stored event to
// read from the store). length counts the bytes of data.
const (
	kindText   = 'j'
	kindBase64 = 'b'
	kindRef    = 'r'
)

// appendRecord appends the record of env to buf, carrying its frame, or only
// its reference when the frame would make the record longer than maxBody
// and env is a stored event. It returns an error for an event without an id
// whose frame cannot fit: there is nothing to read it back from.
func appendRecord(buf []byte, env numeneon.Envelope) ([]byte, error) {
	kind, dataLen := byte(kindText), len(env.Frame)
	if !isText(env.Frame) {
		kind, dataLen = kindBase64, base64.StdEncoding.EncodedLen(len(env.Frame))
	}
	if recordLen(env, dataLen) > maxBody {
		if env.ID == 0 {
			return buf, fmt.Errorf("an event without an id of %d bytes does not fit in one notification (about %d bytes at most)", len(env.Frame), maxBody)
		}
		kind, dataLen = kindRef, 0
	}
	buf = append(buf, kind)
	buf = strconv.AppendInt(buf, env.UserID, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, env.ID, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(dataLen), 10)
	buf = append(buf, ':')
	switch kind {
	case kindText:
		buf = append(buf, env.Frame...)
	case kindBase64:
		buf = base64.StdEncoding.AppendEncode(buf, env.Frame)
	}
	return buf, nil
}

// recordLen is the length of a record of env whose data has dataLen bytes.
func recordLen(env numeneon.Envelope, dataLen int) int {
	return 1 + digits(env.UserID) + 1 + digits(env.ID) + 1 + digits(int64(dataLen)) + 1 + dataLen
}

func digits(n int64) int {
	d := 1
	if n < 0 {
		d++
	}
	for n >= 10 || n <= -10 {
		n /= 10
		d++
	}
	return d
}

// isText reports whether frame can travel as it is: valid UTF-8 and no NUL.
func isText(frame []byte) bool {
	for _, c := range frame {
		if c == 0 {
			return false
		}
	}
	return utf8.Valid(frame)
}

// record is one decoded record. ref is true when the frame must be read from
// the store.
type record struct {
	env numeneon.Envelope
	ref bool
}

var errMalformed = errors.New("malformed notification payload")

// decodePayload calls fn for each record of payload, in order.
func decodePayload(payload string, fn func(record)) error {
	for len(payload) > 0 {
		kind := payload[0]
		payload = payload[1:]
		user, rest, ok := cutNumber(payload, ' ')
		if !ok {
			return errMalformed
		}
		id, rest, ok := cutNumber(rest, ' ')
		if !ok {
			return errMalformed
		}
		n, rest, ok := cutNumber(rest, ':')
		if !ok || n < 0 || n > int64(len(rest)) {
			return errMalformed
		}
		data := rest[:n]
		payload = rest[n:]
		r := record{env: numeneon.Envelope{UserID: user, ID: id}}
		switch kind {
		case kindText:
			r.env.Frame = []byte(data)
		case kindBase64:
			frame, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return errMalformed
			}
			r.env.Frame = frame
		case kindRef:
			r.ref = true
		default:
			return errMalformed
		}
		fn(r)
	}
	return nil
}

// cutNumber parses the decimal number before sep in s.
func cutNumber(s string, sep byte) (int64, string, bool) {
	for i := 0; i < len(s) && i < 21; i++ {
		if s[i] == sep {
			n, err := strconv.ParseInt(s[:i], 10, 64)
			return n, s[i+1:], err == nil
		}
	}
	return 0, "", false
}

// packPayloads concatenates records into as few payloads as fit, in
// order. Each record fits in a payload on its own (appendRecord).
func packPayloads(records [][]byte, payloads []string) []string {
	var cur []byte
	for _, rec := range records {
		if len(cur)+len(rec) > maxBody {
			payloads = append(payloads, string(cur))
			cur = cur[:0]
		}
		cur = append(cur, rec...)
	}
	if len(cur) > 0 {
		payloads = append(payloads, string(cur))
	}
	return payloads
}
