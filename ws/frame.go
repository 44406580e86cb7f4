package ws

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// Opcode is a frame's opcode (RFC 6455 section 5.2).
type Opcode byte

// Opcodes.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

func (op Opcode) control() bool { return op&0x8 != 0 }

// StatusCode is a close frame's status code (RFC 6455 section 7.4).
type StatusCode int

// Status codes this package sends or reports.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	// StatusNoStatusRcvd is reported for a close frame without a code; it
	// is never sent.
	StatusNoStatusRcvd    StatusCode = 1005
	StatusInvalidPayload  StatusCode = 1007
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusInternalError   StatusCode = 1011
	StatusServiceRestart  StatusCode = 1012
	StatusTryAgainLater   StatusCode = 1013
	maxControlPayload                = 125
	maxCloseReason                   = maxControlPayload - 2
	maxHeaderSize                    = 14 // 2 + 8 bytes of length + 4 of mask
)

// validReceived reports whether a peer may send code in a close frame: the
// registered codes meant for the wire, and the ranges for libraries and
// applications.
func (code StatusCode) validReceived() bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseError is what ended a connection: the peer's close frame, or the one
// this side sent after a protocol error.
type CloseError struct {
	Code   StatusCode
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed with status %d", e.Code)
	}
	return fmt.Sprintf("websocket closed with status %d: %s", e.Code, e.Reason)
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	fin    bool
	rsv    byte // the three reserved bits; no extension is negotiated, so they must be 0
	op     Opcode
	masked bool
	mask   [4]byte
	length uint64
}

// parseHeader decodes the frame header at the start of b. n is the header's
// size; n == 0 means b holds too little of it yet.
func parseHeader(b []byte) (h frameHeader, n int) {
	if len(b) < 2 {
		return h, 0
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = b[0] & 0x70
	h.op = Opcode(b[0] & 0x0f)
	h.masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < n+2 {
			return h, 0
		}
		h.length = uint64(binary.BigEndian.Uint16(b[n:]))
		n += 2
	case 127:
		if len(b) < n+8 {
			return h, 0
		}
		h.length = binary.BigEndian.Uint64(b[n:])
		n += 8
	default:
		h.length = uint64(l)
	}
	if h.masked {
		if len(b) < n+4 {
			return h, 0
		}
		copy(h.mask[:], b[n:])
		n += 4
	}
	return h, n
}

// appendHeader appends the header of an unmasked final frame (the server's)
// of op with a payload of size bytes.
func appendHeader(b []byte, op Opcode, size int) []byte {
	b = append(b, 0x80|byte(op))
	switch {
	case size <= 125:
		return append(b, byte(size))
	case size <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(size))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(size))
	}
}

// unmask applies the client's masking key to p, whose first byte is at
// offset pos of the payload (RFC 6455 section 5.3). It returns the offset
// after p, for a payload unmasked in pieces.
func unmask(mask [4]byte, pos int, p []byte) int {
	key := binary.LittleEndian.Uint32(mask[:])
	key = bits.RotateLeft32(key, -8*(pos&3))
	key64 := uint64(key)<<32 | uint64(key)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := binary.LittleEndian.Uint64(p[i:])
		binary.LittleEndian.PutUint64(p[i:], v^key64)
	}
	for ; i < len(p); i++ {
		p[i] ^= byte(key)
		key = bits.RotateLeft32(key, -8)
	}
	return pos + len(p)
}

// closePayload is the payload of a close frame with code and reason; the
// reason is cut to fit a control frame, at a rune boundary.
func closePayload(code StatusCode, reason string) []byte {
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	p := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	return append(p, reason...)
}

// parseClose decodes a received close frame's payload.
func parseClose(p []byte) (*CloseError, bool) {
	switch {
	case len(p) == 0:
		return &CloseError{Code: StatusNoStatusRcvd}, true
	case len(p) == 1:
		return nil, false
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	reason := p[2:]
	if !code.validReceived() || !utf8.Valid(reason) {
		return nil, false
	}
	return &CloseError{Code: code, Reason: string(reason)}, true
}
