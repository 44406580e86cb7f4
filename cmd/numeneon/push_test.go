package main_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testpush"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/webpush"
)

// metricValue reads one sample of the process's /metrics, 0 when absent.
func metricValue(t *testing.T, p *proc, sample string) float64 {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", sc.Text(), err)
			}
			return f
		}
	}
	return 0
}

// waitMetric waits until the sample reaches want.
func waitMetric(t *testing.T, p *proc, sample string, want float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for metricValue(t, p, sample) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v on %s", sample, want, p.URL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPushAcrossProcesses: Web Push between two server processes that share
// the database and a layer. A user with a socket on the other process gets
// no push; once their last socket closes, exactly one push per event
// reaches their device, verified and decrypted by a local push service;
// and a push service that hangs does not hold up any message.
func TestPushAcrossProcesses(t *testing.T) {
	eachSharedLayer(t, testsvc.RedisURL, testPushAcrossProcesses)
}

func testPushAcrossProcesses(t *testing.T, env []string) {
	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	svc := testpush.Start(t, keys.Public)
	env = append(env, "VAPID_PUBLIC_KEY="+keys.Public, "VAPID_PRIVATE_KEY="+keys.Private,
		"VAPID_SUBJECT=mailto:ops@numeneon.example",
		// The push service's certificate, as a real one's root would be.
		"SSL_CERT_FILE="+svc.CertFile(t))
	p1, p2 := startProc(t, env), startProc(t, env)
	alice, carol := newUser(t, p1.URL, "pa"), newUser(t, p1.URL, "pc")
	bob := newUser(t, p2.URL, "pb")
	if err := client.Befriend(t.Context(), alice, bob); err != nil {
		t.Fatal(err)
	}
	dev := svc.Subscribe(t)
	sub := map[string]any{"endpoint": dev.Endpoint, "keys": map[string]string{"p256dh": dev.P256dh, "auth": dev.Auth}}
	if err := bob.Do(t.Context(), "POST", "/api/notifications/subscribe/", sub, nil, http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	sa, err := alice.Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := bob.Dial(t.Context(), client.DialOptions{}) // on p2
	if err != nil {
		t.Fatal(err)
	}

	// Online on the other process: the socket gets it, no push.
	if _, err := alice.SendMessage(t.Context(), bob.UserID, "while online"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, sb, "new_message")
	waitMetric(t, p1, `numeneon_push_total{outcome="online"}`, 1)

	// Offline everywhere: one push, with the message's text.
	sb.Close()
	for nextPresence(t, sa, bob.UserID) {
		// the earlier "online" of bob's dial; read on to the "offline"
	}
	if _, err := alice.SendMessage(t.Context(), bob.UserID, "while offline"); err != nil {
		t.Fatal(err)
	}
	m := svc.Next(t, 15*time.Second)
	var p struct{ Title, Body, URL string }
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("push payload %q: %v", m.Payload, err)
	}
	if p.Title != "New message from "+alice.Name || p.Body != "while offline" || p.URL == "" {
		t.Fatalf("push = %+v", p)
	}
	waitMetric(t, p1, `numeneon_push_total{outcome="sent"}`, 1)
	if got := svc.Received(dev); len(got) != 1 {
		t.Fatalf("device received %d pushes, want exactly 1 (the offline message)", len(got))
	}

	// A push service that hangs holds up nothing: carol's message arrives
	// while the push service still holds bob's push.
	svc.Hang(dev)
	sc, err := carol.Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := alice.SendMessage(t.Context(), bob.UserID, "held by the push service"); err != nil {
		t.Fatal(err)
	}
	svc.Next(t, 15*time.Second)
	if _, err := alice.SendMessage(t.Context(), carol.UserID, "delivered meanwhile"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, sc, "new_message")
	if svc.Held() != 1 {
		t.Fatalf("the push service holds %d requests after carol's message arrived, want 1", svc.Held())
	}
}

// numeneon vapid prints a key pair the server accepts.
func TestVAPIDCommand(t *testing.T) {
	out, err := runCommand(t, baseEnv(t), "vapid")
	if err != nil {
		t.Fatalf("vapid: %v\n%s", err, out)
	}
	var keys webpush.Keys
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "VAPID_PUBLIC_KEY":
			keys.Public = v
		case "VAPID_PRIVATE_KEY":
			keys.Private = v
		}
	}
	if err := keys.Validate(); err != nil {
		t.Fatalf("printed keys %+v: %v\n%s", keys, err, out)
	}
	env := append(baseEnv(t), "VAPID_PUBLIC_KEY="+keys.Public, "VAPID_PRIVATE_KEY="+keys.Private,
		"VAPID_SUBJECT=mailto:ops@numeneon.example", "DATABASE_URL=sqlite:"+t.TempDir()+"/db.sqlite")
	out, err = runCommand(t, env, "check")
	if err != nil || !strings.Contains(out, "VAPID_PUBLIC_KEY "+keys.Public) || strings.Contains(out, keys.Private) {
		t.Fatalf("check with the printed keys (err %v) must show the public key and mask the private one:\n%s", err, out)
	}
	p := startProc(t, env)
	var got map[string]string
	if err := client.New(p.URL, nil).Do(t.Context(), "GET", "/api/notifications/vapid-public-key/", nil, &got, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if got["publicKey"] != keys.Public || got["vapid_public_key"] != keys.Public {
		t.Fatalf("served key = %v, want %s", got, keys.Public)
	}
}
