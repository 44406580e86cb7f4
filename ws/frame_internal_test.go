package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// These test the frame codec directly; the rest of the package's tests
// speak to it over the network from the ws_test package.

func TestAppendHeaderParses(t *testing.T) {
	tests := []struct {
		size    int
		op      Opcode
		headerN int // the shortest encoding of the length
	}{
		{0, OpText, 2},
		{1, OpBinary, 2},
		{125, OpPing, 2},
		{126, OpText, 4},
		{127, OpBinary, 4},
		{0xffff, OpBinary, 4},
		{0x10000, OpText, 10},
		{1 << 30, OpBinary, 10},
	}
	for _, tt := range tests {
		b := appendHeader([]byte("prefix"), tt.op, tt.size)
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("appendHeader lost what it appended to: %q", b)
		}
		hdr := b[len("prefix"):]
		if len(hdr) != tt.headerN {
			t.Errorf("size %d: header of %d bytes, want %d", tt.size, len(hdr), tt.headerN)
		}
		h, n := parseHeader(hdr)
		want := frameHeader{fin: true, op: tt.op, length: uint64(tt.size)}
		if n != len(hdr) || h != want {
			t.Errorf("size %d: parseHeader(appendHeader) = %+v, %d; want %+v, %d", tt.size, h, n, want, len(hdr))
		}
		// Any prefix of a header is too short to parse.
		for i := range hdr {
			if _, n := parseHeader(hdr[:i]); n != 0 {
				t.Errorf("size %d: parseHeader of %d of the header's %d bytes = %d, want 0", tt.size, i, len(hdr), n)
			}
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want frameHeader
		n    int
	}{
		{"masked text", []byte{0x81, 0x85, 1, 2, 3, 4, 'x'}, frameHeader{fin: true, op: OpText, masked: true, mask: [4]byte{1, 2, 3, 4}, length: 5}, 6},
		{"first fragment", []byte{0x02, 0x80 | 126, 0x01, 0x00, 9, 8, 7, 6}, frameHeader{op: OpBinary, masked: true, mask: [4]byte{9, 8, 7, 6}, length: 256}, 8},
		{"64-bit length", []byte{0x80, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0, 0xa, 0xb, 0xc, 0xd}, frameHeader{fin: true, op: OpContinuation, masked: true, mask: [4]byte{0xa, 0xb, 0xc, 0xd}, length: 1 << 32}, 14},
		{"reserved bits", []byte{0xf9, 0x00}, frameHeader{fin: true, rsv: 0x70, op: OpPing}, 2},
		{"unknown opcode", []byte{0x8b, 0x01}, frameHeader{fin: true, op: 0xb, length: 1}, 2},
		{"masked header cut before its key", []byte{0x81, 0x85, 1, 2, 3}, frameHeader{}, 0},
		{"one byte", []byte{0x81}, frameHeader{}, 0},
	}
	for _, tt := range tests {
		h, n := parseHeader(tt.b)
		if n != tt.n || (n != 0 && h != tt.want) {
			t.Errorf("%s: parseHeader(% x) = %+v, %d; want %+v, %d", tt.name, tt.b, h, n, tt.want, tt.n)
		}
	}
}

// unmaskReference is RFC 6455 section 5.3 written plainly.
func unmaskReference(mask [4]byte, pos int, p []byte) {
	for i := range p {
		p[i] ^= mask[(pos+i)%4]
	}
}

func TestUnmask(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 100, 1000} {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(r.Uint32())
		}
		mask := [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}

		want := bytes.Clone(payload)
		unmaskReference(mask, 0, want)
		whole := bytes.Clone(payload)
		if next := unmask(mask, 0, whole); next != size {
			t.Errorf("size %d: unmask returned %d, want %d", size, next, size)
		}
		if !bytes.Equal(whole, want) {
			t.Errorf("size %d: unmask differs from RFC 6455 5.3", size)
		}
		// Twice is the identity.
		if unmask(mask, 0, whole); !bytes.Equal(whole, payload) {
			t.Errorf("size %d: unmasking twice does not restore the payload", size)
		}
		// Split at every offset.
		for cut := 0; cut <= size; cut++ {
			split := bytes.Clone(payload)
			pos := unmask(mask, 0, split[:cut])
			if pos != cut {
				t.Fatalf("size %d, cut %d: unmask returned %d", size, cut, pos)
			}
			unmask(mask, pos, split[cut:])
			if !bytes.Equal(split, want) {
				t.Errorf("size %d: unmasked in two at %d differs from unmasked whole", size, cut)
			}
		}
		// In many pieces of random sizes.
		pieces := bytes.Clone(payload)
		for pos := 0; pos < size; {
			end := min(size, pos+r.IntN(13))
			pos = unmask(mask, pos, pieces[pos:end])
		}
		if !bytes.Equal(pieces, want) {
			t.Errorf("size %d: unmasked in random pieces differs from unmasked whole", size)
		}
	}
}

func TestClosePayload(t *testing.T) {
	p := closePayload(StatusGoingAway, "restart")
	if got, want := p, []byte("\x03\xe9restart"); !bytes.Equal(got, want) {
		t.Errorf("closePayload = %q, want %q", got, want)
	}
	for _, reason := range []string{
		strings.Repeat("a", 200),
		strings.Repeat("é", 100), // 2-byte runes: byte 123 is inside one
		strings.Repeat("€", 100), // 3 bytes
		strings.Repeat("😀", 100), // 4 bytes
		strings.Repeat("a", 123),
	} {
		p := closePayload(StatusNormalClosure, reason)
		got := string(p[2:])
		if len(p) > maxControlPayload || !utf8.ValidString(got) || !strings.HasPrefix(reason, got) || len(got) < maxCloseReason-3 {
			t.Errorf("closePayload cut a %d-byte reason to %q (%d bytes); want the longest valid prefix of at most %d bytes",
				len(reason), got, len(got), maxCloseReason)
		}
		if code := binary.BigEndian.Uint16(p); code != 1000 {
			t.Errorf("code %d, want 1000", code)
		}
	}
}

func TestParseClose(t *testing.T) {
	tests := []struct {
		payload string
		ok      bool
		want    CloseError
	}{
		{"", true, CloseError{Code: StatusNoStatusRcvd}},
		{"\x03", false, CloseError{}},
		{"\x03\xe8", true, CloseError{Code: 1000}},
		{"\x03\xe8bye", true, CloseError{Code: 1000, Reason: "bye"}},
		{"\x03\xe8\xff", false, CloseError{}},
		{"\x03\xeb", true, CloseError{Code: 1003}},
		{"\x03\xec", false, CloseError{}}, // 1004
		{"\x03\xed", false, CloseError{}}, // 1005
		{"\x03\xee", false, CloseError{}}, // 1006
		{"\x03\xef", true, CloseError{Code: 1007}},
		{"\x03\xf6", true, CloseError{Code: 1014}},
		{"\x03\xf7", false, CloseError{}}, // 1015
		{"\x03\xe7", false, CloseError{}}, // 999
		{"\x0b\xb7", false, CloseError{}}, // 2999
		{"\x0b\xb8", true, CloseError{Code: 3000}},
		{"\x13\x87", true, CloseError{Code: 4999}},
		{"\x13\x88", false, CloseError{}}, // 5000
		{"\xff\xff", false, CloseError{}},
	}
	for _, tt := range tests {
		ce, ok := parseClose([]byte(tt.payload))
		if ok != tt.ok || (ok && *ce != tt.want) {
			t.Errorf("parseClose(%q) = %v, %v; want %v, %v", tt.payload, ce, ok, tt.want, tt.ok)
		}
	}
}

func TestAcceptKey(t *testing.T) {
	// RFC 6455 section 1.3.
	if got, want := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Errorf("acceptKey = %q, want %q", got, want)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4})
	f.Add([]byte{0x02, 0xfe, 0x01, 0x00, 9, 8, 7, 6})
	f.Add([]byte{0x80, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0xa, 0xb, 0xc, 0xd})
	f.Add([]byte{0x80, 0x7f, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n := parseHeader(b)
		if n == 0 {
			// Too short: only a prefix of a header.
			if len(b) >= maxHeaderSize {
				t.Fatalf("parseHeader(% x) wants more than %d bytes", b, maxHeaderSize)
			}
			return
		}
		want := 2
		switch b[1] & 0x7f {
		case 126:
			want += 2
		case 127:
			want += 8
		}
		if h.masked {
			want += 4
		}
		if n != want || n > len(b) {
			t.Fatalf("parseHeader(% x) = %d bytes, want %d", b, n, want)
		}
		if h.fin != (b[0]&0x80 != 0) || h.rsv != b[0]&0x70 || h.op != Opcode(b[0]&0xf) || h.masked != (b[1]&0x80 != 0) {
			t.Fatalf("parseHeader(% x) = %+v: bits misread", b, h)
		}
		// An unmasked final frame re-encodes to a header that parses the same.
		if h.length <= 1<<40 {
			re := appendHeader(nil, h.op, int(h.length))
			h2, n2 := parseHeader(re)
			if n2 != len(re) || h2.length != h.length || h2.op != h.op || !h2.fin || h2.masked || h2.rsv != 0 {
				t.Fatalf("appendHeader(%v, %d) = % x, parses as %+v", h.op, h.length, re, h2)
			}
		}
	})
}

func FuzzUnmask(f *testing.F) {
	f.Add([]byte("hello, world"), uint32(0x12345678), uint8(3), uint8(5))
	f.Fuzz(func(t *testing.T, p []byte, key uint32, pos, cut uint8) {
		var mask [4]byte
		binary.LittleEndian.PutUint32(mask[:], key)
		want := bytes.Clone(p)
		unmaskReference(mask, int(pos), want)
		got := bytes.Clone(p)
		c := min(int(cut), len(got))
		next := unmask(mask, int(pos), got[:c])
		unmask(mask, next, got[c:])
		if !bytes.Equal(got, want) {
			t.Fatalf("unmask from %d cut at %d = % x, want % x", pos, c, got, want)
		}
	})
}

// A 64-bit length with its top bit set is a protocol error (RFC 6455
// section 5.2), and no length can overflow the parser, whatever the limit.
func TestHugeLengths(t *testing.T) {
	for _, tt := range []struct {
		length uint64
		want   StatusCode
	}{
		{math.MaxUint64, StatusProtocolError},
		{1 << 63, StatusProtocolError},
		{math.MaxInt64, StatusMessageTooBig},
		{1 << 62, StatusMessageTooBig},
		{MaxReadLimit + 1, StatusMessageTooBig},
	} {
		c := &Conn{opts: Options{ReadLimit: MaxReadLimit}}
		b := binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, tt.length)
		b = append(b, 1, 2, 3, 4, 'x')
		_, _, err := c.parse(b)
		var pe *protocolError
		if !errors.As(err, &pe) || pe.code != tt.want {
			t.Errorf("length %#x: parse error %v, want close code %d", tt.length, err, tt.want)
		}
	}
}
