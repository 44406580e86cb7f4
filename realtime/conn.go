package realtime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
)

// Buffer sizes of an upgraded connection. coder/websocket keeps the
// bufio.Reader and bufio.Writer of the hijack for the life of the
// connection; net/http's are 4 KiB each, most of an idle socket's memory.
// Client messages are small (ping, typing, resume: under 64 bytes), and a
// bufio.Reader passes reads larger than its buffer straight to the
// connection, so a small read buffer costs a large message an extra read
// call or two. The write buffer holds a frame header and a typical event; a
// larger frame is written in two calls.
const (
	readBufferSize  = 128
	writeBufferSize = 512
)

// smallBuffers is the ResponseWriter handed to websocket.Accept: its Hijack
// returns the connection with buffers of the sizes above instead of
// net/http's, which are dropped with the HTTP server's connection state.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the client sent right after its handshake may already sit in
	// net/http's buffer. Accept takes what the returned reader has buffered
	// and then reads the connection itself, so they are moved into the new
	// buffer, which is made big enough to hold them.
	br := bufio.NewReaderSize(conn, readBufferSize)
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(early), conn), max(n, readBufferSize))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("keep the bytes read with the handshake: %w", err)
		}
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, writeBufferSize)), nil
}
