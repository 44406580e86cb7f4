package pglayer

import (
	"bytes"
	"math"
	"testing"

	"github.com/numeneon/numeneon"
)

// TestPayloadsFitWithTheirHeader: however records fall, every payload,
// sequence number included, stays under PostgreSQL's 8,000 bytes, and the
// records come back in order. (A payload packed to the limit before its
// header was added was refused: "payload string too long".)
func TestPayloadsFitWithTheirHeader(t *testing.T) {
	for frameLen := 1; frameLen < 300; frameLen += 7 {
		for _, seq := range []uint64{0, 1 << 20, math.MaxUint64 - 1000} {
			l := &Layer{pubSeq: seq}
			var records [][]byte
			var want []numeneon.Envelope
			for i := range 200 {
				env := numeneon.Envelope{UserID: int64(i), ID: int64(i + 1), Frame: bytes.Repeat([]byte{'x'}, frameLen+i%5)}
				rec, err := appendRecord(nil, env)
				if err != nil {
					t.Fatal(err)
				}
				records = append(records, rec)
				want = append(want, env)
			}
			var got []numeneon.Envelope
			for _, p := range l.pack(records, nil) {
				if len(p) > maxPayload {
					t.Fatalf("frames of %d bytes, sequence %d: a payload of %d bytes", frameLen, seq, len(p))
				}
				body := p[bytes.IndexByte([]byte(p), ';')+1:]
				if err := decodePayload(body, func(r record) { got = append(got, r.env) }); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d records decoded, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].UserID != want[i].UserID || got[i].ID != want[i].ID || !bytes.Equal(got[i].Frame, want[i].Frame) {
					t.Fatalf("record %d decoded as %+v, want %+v", i, got[i], want[i])
				}
			}
		}
	}
}
