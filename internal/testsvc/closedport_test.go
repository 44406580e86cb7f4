package testsvc_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/testsvc"
)

// A closed port refuses connections and cannot be taken by a listener
// while the test holds it.
func TestClosedPortRefusesAndStaysFree(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testsvc.ClosedPort(t))
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Fatalf("a connection to the closed port %s succeeded", addr)
	}
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Errorf("a listener took the closed port %s while the test held it", addr)
	}
}
