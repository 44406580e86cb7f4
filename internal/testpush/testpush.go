// Package testpush is a local Web Push service for tests: an HTTP server on
// loopback that accepts messages the way a browser vendor's push service
// does (RFC 8030), checks the VAPID JWT's ES256 signature against the
// server's public key (RFC 8292), and decrypts the aes128gcm payload with
// the subscription's private key (RFC 8291), so a broken encryption or
// signature fails the test that sent it. Each subscription it hands out can
// be told to answer 410, fail with a status, or hang.
package testpush

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/hkdf"
)

// Message is one push the service accepted (or is holding), decrypted.
type Message struct {
	Endpoint string
	Payload  []byte
	TTL      string
}

// Subscription is what a browser would hand the app server: an endpoint on
// this service and the keys to encrypt to, base64url without padding.
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// device is the browser side of a subscription: its private key and what
// the service answers for it.
type device struct {
	key  *ecdh.PrivateKey
	auth []byte
	// statuses are answered in order, one per request; after the last,
	// 201 (or 410 once gone).
	statuses []int
	gone     bool
	hang     bool
}

// Service is the push service. Its methods are safe for concurrent use.
type Service struct {
	URL string
	t   testing.TB
	srv *httptest.Server

	vapidPublic []byte // the app server's VAPID public key (65 bytes)

	mu       sync.Mutex
	devices  map[string]*device // by path
	received []Message
	held     int
	release  chan struct{}
	once     sync.Once
	notify   chan Message // every accepted message, buffered
	failures []error
}

// Start starts a push service that accepts only messages signed with the
// VAPID key pair whose public half is vapidPublicKey (base64url). Any
// message it cannot verify or decrypt fails t.
func Start(t testing.TB, vapidPublicKey string) *Service {
	t.Helper()
	pub, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vapidPublicKey, "="))
	if err != nil || len(pub) != 65 {
		t.Fatalf("testpush: VAPID public key %q is not a base64url P-256 point", vapidPublicKey)
	}
	s := &Service{t: t, vapidPublic: pub, devices: make(map[string]*device),
		release: make(chan struct{}), notify: make(chan Message, 1024)}
	// TLS, as every real push service: the app accepts https endpoints
	// only. Client trusts the server's certificate; CertFile gives it to
	// another process (SSL_CERT_FILE).
	srv := httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.srv = srv
	t.Cleanup(func() {
		s.Release()
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, err := range s.failures {
			t.Errorf("testpush: %v", err)
		}
	})
	s.URL = srv.URL
	return s
}

// Client returns an HTTP client that trusts the service's certificate.
func (s *Service) Client() *http.Client { return s.srv.Client() }

// CertFile writes the service's certificate as PEM into a file of t's and
// returns its path, for SSL_CERT_FILE of a server process.
func (s *Service) CertFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "push-service.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Subscribe creates a device and returns its subscription.
func (s *Service) Subscribe(t testing.TB) Subscription {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	s.mu.Lock()
	path := "/push/" + strconv.Itoa(len(s.devices)+1)
	s.devices[path] = &device{key: key, auth: auth}
	s.mu.Unlock()
	return Subscription{
		Endpoint: s.URL + path,
		P256dh:   base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(auth),
	}
}

func (s *Service) device(endpoint string) *device {
	d := s.devices[strings.TrimPrefix(endpoint, s.URL)]
	if d == nil {
		s.t.Fatalf("testpush: unknown endpoint %s", endpoint)
	}
	return d
}

// Gone makes the service answer 410 Gone for sub from now on (the user
// revoked the permission or the browser dropped the subscription).
func (s *Service) Gone(sub Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device(sub.Endpoint).gone = true
}

// Fail makes the service answer the statuses, in order, to sub's next
// requests (429, 500…); later requests are accepted.
func (s *Service) Fail(sub Subscription, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.device(sub.Endpoint)
	d.statuses = append(d.statuses, statuses...)
}

// Hang makes the service hold sub's requests, after decrypting them, until
// Release or the end of the test.
func (s *Service) Hang(sub Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device(sub.Endpoint).hang = true
}

// Release lets every held request go (answered 201), now and from then on.
func (s *Service) Release() { s.once.Do(func() { close(s.release) }) }

// Held returns how many requests the service is holding now.
func (s *Service) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Received returns the messages accepted so far for sub ("" for all), in
// arrival order.
func (s *Service) Received(sub Subscription) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.received {
		if sub.Endpoint == "" || m.Endpoint == sub.Endpoint {
			out = append(out, m)
		}
	}
	return out
}

// Next waits for the next accepted (or held) message, failing t after
// timeout: a bound on a wait for something that must happen, not a
// measurement.
func (s *Service) Next(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.notify:
		return m
	case <-time.After(timeout):
		t.Fatalf("testpush: no push message within %v", timeout)
		return Message{}
	}
}

func (s *Service) fail(w http.ResponseWriter, err error) {
	s.mu.Lock()
	s.failures = append(s.failures, err)
	s.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	endpoint := s.URL + r.URL.Path
	s.mu.Lock()
	d := s.devices[r.URL.Path]
	s.mu.Unlock()
	if r.Method != http.MethodPost || d == nil {
		s.fail(w, fmt.Errorf("%s %s: not a subscription's endpoint", r.Method, r.URL.Path))
		return
	}
	if err := s.verifyVAPID(r, endpoint); err != nil {
		s.fail(w, fmt.Errorf("VAPID of a push to %s: %w", r.URL.Path, err))
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		s.fail(w, fmt.Errorf("Content-Encoding %q, want aes128gcm", ce))
		return
	}
	if r.Header.Get("TTL") == "" {
		s.fail(w, errors.New("no TTL header (RFC 8030 requires one)"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		s.fail(w, err)
		return
	}
	payload, err := Decrypt(body, d.key, d.auth)
	if err != nil {
		s.fail(w, fmt.Errorf("decrypt a push to %s: %w", r.URL.Path, err))
		return
	}

	s.mu.Lock()
	status := http.StatusCreated
	switch {
	case d.gone:
		status = http.StatusGone
	case len(d.statuses) > 0:
		status, d.statuses = d.statuses[0], d.statuses[1:]
	}
	hang := d.hang
	msg := Message{Endpoint: endpoint, Payload: payload, TTL: r.Header.Get("TTL")}
	if status == http.StatusCreated {
		s.received = append(s.received, msg)
		if hang {
			s.held++
		}
	}
	s.mu.Unlock()
	if status != http.StatusCreated {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		return
	}
	select {
	case s.notify <- msg:
	default:
	}
	if hang {
		var gaveUp bool
		select {
		case <-s.release:
		case <-r.Context().Done():
			gaveUp = true
		}
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
		if gaveUp {
			// The sender gave up: it must not be told the message was
			// accepted, so the connection is cut without an answer.
			panic(http.ErrAbortHandler)
		}
	}
	w.Header().Set("Location", endpoint+"/message")
	w.WriteHeader(http.StatusCreated)
}

// verifyVAPID checks the Authorization header of RFC 8292: "vapid t=<JWT>,
// k=<public key>", the key being the server's, the JWT signed by it with
// ES256, for this push service's origin, unexpired and at most 24 hours
// long, with a mailto: or https: subject.
func (s *Service) verifyVAPID(r *http.Request, endpoint string) error {
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return fmt.Errorf("the Authorization header %q is not of the vapid scheme", h)
	}
	var token, key string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			token = v
		case "k":
			key = v
		}
	}
	k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(key, "="))
	if err != nil || !bytes.Equal(k, s.vapidPublic) {
		return fmt.Errorf("k=%q is not the server's VAPID public key", key)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), s.vapidPublic)
	if err != nil {
		return fmt.Errorf("VAPID public key: %w", err)
	}
	origin := endpoint[:strings.Index(endpoint[len("https://"):], "/")+len("https://")]
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(origin), jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("JWT: %w", err)
	}
	exp, _ := claims.GetExpirationTime()
	if exp.After(time.Now().Add(24 * time.Hour)) {
		return fmt.Errorf("JWT expires at %v, more than 24 hours ahead", exp)
	}
	sub, _ := claims["sub"].(string)
	if !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:") {
		return fmt.Errorf("JWT sub %q is neither a mailto: nor an https: URL", sub)
	}
	return nil
}

// Decrypt opens an aes128gcm Web Push body (RFC 8291 §3.4, RFC 8188) with
// the receiver's key and authentication secret and returns the plaintext.
func Decrypt(body []byte, key *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	// Header: salt (16) | record size (4) | idlen (1) | keyid (idlen).
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid of %d bytes, want the sender's 65-byte P-256 key", idlen)
	}
	senderKey, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	record := body[21+idlen:]
	if uint32(len(record)) > rs {
		return nil, fmt.Errorf("record of %d bytes over the record size %d (one record expected)", len(record), rs)
	}
	shared, err := key.ECDH(senderKey)
	if err != nil {
		return nil, fmt.Errorf("ECDH: %w", err)
	}
	// IKM = HKDF(auth, ECDH, "WebPush: info" 0x00 ua_public as_public, 32)
	info := append([]byte("WebPush: info\x00"), key.PublicKey().Bytes()...)
	info = append(info, senderKey.Bytes()...)
	ikm := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, auth, info), ikm); err != nil {
		return nil, err
	}
	cek := make([]byte, 16)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: aes128gcm\x00")), cek); err != nil {
		return nil, err
	}
	nonce := make([]byte, 12)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: nonce\x00")), nonce); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("AES-GCM: %w", err)
	}
	// The last record ends with the delimiter 0x02, then zero padding.
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 0x02 {
		return nil, errors.New("no last-record delimiter (0x02) after the payload")
	}
	return plain[:len(plain)-1], nil
}
