package redis_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/redis"
)

// TestLayerOverTLS runs a private redis-server that speaks only TLS, with a
// certificate from a throwaway CA, and checks that a rediss:// layer trusting
// that CA delivers, and that one trusting only the system roots is refused.
func TestLayerOverTLS(t *testing.T) {
	ca, addr := startTLSRedis(t)
	url := "rediss://" + addr + "/0"

	t.Run("trusted CA", func(t *testing.T) {
		opts := testOptions(t, url)
		opts.TLSConfig = &tls.Config{RootCAs: ca}
		l := mustNewLayer(t, opts)
		rec := layertest.NewRecorder()
		l.Listen(rec)
		if err := l.Subscribe(t.Context(), 1); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		frame := []byte(`{"type":"tls"}`)
		if err := l.Publish(t.Context(), numeneon.Envelope{UserID: 1, ID: 1, Frame: frame}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		rec.WaitForEnvelope(t, 1, frame)
	})
	t.Run("unknown CA", func(t *testing.T) {
		opts := testOptions(t, url)
		l, err := redis.NewLayer(t.Context(), opts)
		if err == nil {
			_ = l.Close()
			t.Fatalf("NewLayer accepted a server certificate from an unknown CA")
		}
		t.Logf("refused as expected: %v", err)
		if code := numeneon.ErrorCode(err); code != numeneon.EUNAVAILABLE {
			t.Errorf("error code %q, want %q (err: %v)", code, numeneon.EUNAVAILABLE, err)
		}
	})
}

// TestOptionsRejectBadConfiguration checks the errors a misconfigured
// deployment gets at startup rather than at the first event.
func TestOptionsRejectBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		opts redis.Options
	}{
		{"no URL", redis.Options{}},
		{"wrong scheme", redis.Options{URL: "http://127.0.0.1:6379"}},
		{"unparsable", redis.Options{URL: "redis://%zz"}},
		{"bad database", redis.Options{URL: "redis://127.0.0.1:6379/notanumber"}},
		{"TLS config without rediss", redis.Options{URL: "redis://127.0.0.1:6379", TLSConfig: &tls.Config{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if l, err := redis.NewLayer(t.Context(), tt.opts); err == nil {
				_ = l.Close()
				t.Errorf("NewLayer accepted %+v", tt.opts)
			} else if code := numeneon.ErrorCode(err); code != numeneon.EINVALID {
				t.Errorf("NewLayer: code %q, want %q (err: %v)", code, numeneon.EINVALID, err)
			}
			if p, err := redis.NewPresence(t.Context(), tt.opts); err == nil {
				_ = p.Close()
				t.Errorf("NewPresence accepted %+v", tt.opts)
			}
		})
	}
}

// TestNewLayerFailsWhenRedisIsDown: a wrong REDIS_URL must stop the server
// from starting, not leave it running without cross-process delivery.
func TestNewLayerFailsWhenRedisIsDown(t *testing.T) {
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", testsvc.ClosedPort(t))
	if l, err := redis.NewLayer(t.Context(), redis.Options{URL: url}); err == nil {
		_ = l.Close()
		t.Fatalf("NewLayer succeeded with nothing listening at %s", url)
	} else if code := numeneon.ErrorCode(err); code != numeneon.EUNAVAILABLE {
		t.Errorf("code %q, want %q (err: %v)", code, numeneon.EUNAVAILABLE, err)
	}
	if p, err := redis.NewPresence(t.Context(), redis.Options{URL: url}); err == nil {
		_ = p.Close()
		t.Fatalf("NewPresence succeeded with nothing listening at %s", url)
	}
}

// startTLSRedis starts redis-server with only a TLS port and returns the
// pool trusting its CA, and its address.
func startTLSRedis(t *testing.T) (*x509.CertPool, string) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if testsvc.Required() {
			t.Fatalf("redis-server not on PATH")
		}
		t.Skip("redis-server not on PATH")
	}
	dir := t.TempDir()
	ca := writeCertificates(t, dir)
	// A port found free may be taken before redis-server binds it: then
	// it exits, and another port is tried. Only our server, whose
	// certificate the CA signed, completes the handshake.
	for attempt := 1; ; attempt++ {
		addr := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
		err := runTLSRedis(t, dir, ca, addr)
		if err == nil {
			return ca, addr
		}
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		if !strings.Contains(string(log), "Address already in use") || attempt == 5 {
			t.Fatalf("redis-server with TLS on %s: %v\n%s", addr, err, log)
		}
		_ = os.Remove(filepath.Join(dir, "redis.log"))
	}
}

// runTLSRedis starts redis-server with only a TLS port on addr, stopped
// when the test ends, and waits until it completes a handshake. It fails
// when the server exits first or does not answer within 10 s.
func runTLSRedis(t *testing.T, dir string, ca *x509.CertPool, addr string) error {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-server",
		"--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
		"--tls-cert-file", filepath.Join(dir, "server.crt"),
		"--tls-key-file", filepath.Join(dir, "server.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"),
		"--tls-auth-clients", "no",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return errors.New("exited during start")
		default:
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{RootCAs: ca, ServerName: "127.0.0.1"})
		if err == nil {
			_ = conn.Close()
			return nil
		}
	}
	return errors.New("no TLS handshake within 10 s")
}

// writeCertificates writes ca.crt, server.crt and server.key (for 127.0.0.1)
// to dir and returns a pool trusting the CA.
func writeCertificates(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "numeneon test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.crt":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: srvDER},
		"server.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool
}
