package ws_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/ws"
)

// A batch written with WriteTexts arrives as the same messages, in order,
// whatever their sizes: small ones share a buffer with their headers,
// large ones go out without a copy, and the three header lengths of the
// protocol are all used.
func TestWriteTextsArrivesInOrder(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		var batch [][]byte
		for i, size := range []int{0, 5, 125, 126, 1024, 1025, 3000, 65535, 65536, 70000, 7} {
			batch = append(batch, []byte(fmt.Sprintf("%02d:", i)+strings.Repeat("é", size/2)))
		}
		if err := sc.WriteTexts(batch, time.Now().Add(waitTimeout)); err != nil {
			t.Fatalf("WriteTexts: %v", err)
		}
		for _, m := range batch {
			r.expect(t, websocket.MessageText, string(m))
		}
		// A batch after Close is refused, as a Write is.
		if err := sc.Close(ws.StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		if err := sc.WriteTexts(batch[:1], time.Now().Add(waitTimeout)); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("WriteTexts after Close = %v, want ErrClosed", err)
		}
	})
}
