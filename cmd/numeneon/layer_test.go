package main_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSharedDatabaseMeansSharedLayer is the original's failure, moved from
// workers to instances: two instances on one PostgreSQL database, each with
// one worker and no REDIS_URL. An independent load client with 20 users on
// each side counts every friend request, acceptance and message crossing
// between them: none may be lost. Both say why they run the PostgreSQL
// layer, and /readyz proves a round trip through it.
func TestSharedDatabaseMeansSharedLayer(t *testing.T) {
	env := postgresEnv(t)
	a, b := startProc(t, env), startProc(t, env)
	for _, p := range []*proc{a, b} {
		resp, err := http.Get(p.URL + "/readyz")
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/readyz = %d, want 200", resp.StatusCode)
		}
		if log := p.out.String(); !strings.Contains(log, "layer=postgres") || !strings.Contains(log, "LISTEN/NOTIFY") {
			t.Errorf("the startup log does not say that the PostgreSQL layer runs, and why:\n%s", log)
		}
	}

	r := runBench(t, "crossworker", "--targets", a.URL+","+b.URL, "--users", "20", "--messages", "4", "--quiet")
	// 20 pairs across the instances: a request and an acceptance each, 4
	// messages each way.
	if r.Lost != 0 || r.Duplicated != 0 || r.Delivered != 20*(2+8) {
		t.Errorf("crossworker between two instances on PostgreSQL: %+v, want 200 events delivered, none lost or duplicated", r)
	}

	out, err := runCommand(t, env, "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok    channel layer (postgres: DATABASE_URL is PostgreSQL and REDIS_URL is not set") {
		t.Errorf("check does not report the PostgreSQL layer and why:\n%s", out)
	}
}

// TestSQLiteStaysOneProcess: the in-process layer remains for SQLite only,
// and check says so.
func TestSQLiteStaysOneProcess(t *testing.T) {
	out, err := runCommand(t, baseEnv(t), "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok    channel layer (in-process: SQLite serves one process") {
		t.Errorf("check does not report the in-process layer and why:\n%s", out)
	}
}
