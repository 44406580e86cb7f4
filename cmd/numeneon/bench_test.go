package main_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/internal/testsvc"
)

// benchResult is the JSON line numeneon bench ends with.
type benchResult struct {
	Scenario   string             `json:"scenario"`
	Sent       int64              `json:"sent"`
	Delivered  int64              `json:"delivered"`
	Lost       int64              `json:"lost"`
	Duplicated int64              `json:"duplicated"`
	Errors     int64              `json:"errors"`
	Figures    map[string]float64 `json:"figures"`
	Latency    map[string]struct {
		N   int     `json:"n"`
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
}

func runBench(t *testing.T, args ...string) benchResult {
	t.Helper()
	out, err := runCommand(t, baseEnv(t), append([]string{"bench"}, args...)...)
	if err != nil {
		t.Fatalf("numeneon bench %v: %v\n%s", args, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r benchResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line of bench output is not its JSON result: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	return r
}

// TestBenchScenarios runs the load tool as a user would, against two
// processes sharing PostgreSQL and Redis, and checks that each scenario
// measures what it says.
func TestBenchScenarios(t *testing.T) {
	redis := testsvc.StartRedis(t)
	env := sharedEnv(t, redis.URL)
	p1, p2 := startProc(t, env), startProc(t, env)
	targets := p1.URL + "," + p2.URL

	r := runBench(t, "crossworker", "--targets", targets, "--users", "3", "--messages", "4", "--quiet")
	// 3 pairs: 2 friend events each, 4 messages each way.
	if r.Lost != 0 || r.Duplicated != 0 || r.Delivered != 3*(2+8) || r.Latency["delivery"].N != 3*8 {
		t.Errorf("crossworker: %+v, want 30 events delivered, 24 message latencies, none lost", r)
	}

	r = runBench(t, "throughput", "--targets", targets, "--users", "4", "--concurrency", "4", "--duration", "1s", "--quiet")
	if r.Sent == 0 || r.Lost != 0 || r.Duplicated != 0 || r.Figures["requests/s"] <= 0 || r.Latency["delivery"].N == 0 {
		t.Errorf("throughput (closed loop): %+v", r)
	}
	r = runBench(t, "throughput", "--targets", targets, "--users", "4", "--rate", "100", "--duration", "1s", "--quiet")
	if r.Sent < 50 || r.Sent > 110 || r.Lost != 0 {
		t.Errorf("throughput at 100/s for 1s sent %d messages (lost %d), want about 100", r.Sent, r.Lost)
	}

	pids := strconv.Itoa(p1.cmd.Process.Pid) + "," + strconv.Itoa(p2.cmd.Process.Pid)
	r = runBench(t, "sockets", "--targets", targets, "--sockets", "40", "--hold", "1s", "--pids", pids, "--redis", redis.URL, "--quiet")
	if r.Figures["sockets open"] != 40 || r.Figures["handshakes/s"] <= 0 {
		t.Errorf("sockets: %+v, want 40 open", r)
	}
	if _, ok := r.Figures["server KiB per socket"]; !ok {
		t.Errorf("sockets: no memory figure with --pids: %+v", r.Figures)
	}
	if _, ok := r.Figures["redis commands/min idle per worker"]; !ok {
		t.Errorf("sockets: no Redis figure with --redis: %+v", r.Figures)
	}

	r = runBench(t, "conversations", "--targets", p1.URL, "--users", "12", "--concurrency", "2", "--duration", "1s", "--quiet")
	if r.Figures["conversations in the inbox"] != 12 || r.Latency["GET conversations"].N == 0 || r.Errors != 0 {
		t.Errorf("conversations: %+v", r)
	}

	r = runBench(t, "feed", "--targets", targets, "--friends", "6", "--posts", "120", "--concurrency", "2", "--duration", "1s", "--quiet")
	if r.Figures["posts"] != 120 || r.Latency["GET feed (first page, 100 posts)"].N == 0 || r.Errors != 0 {
		t.Errorf("feed: %+v", r)
	}

	r = runBench(t, "fanout", "--targets", targets, "--friends", "8", "--posts", "3", "--redis", redis.URL, "--quiet")
	if r.Delivered != 8*3 || r.Lost != 0 || r.Duplicated != 0 || r.Latency["POST to last friend"].N != 3 || r.Latency["Redis PUBLISH to last subscriber"].N != 3 {
		t.Errorf("fanout: %+v, want 24 deliveries timed over 3 posts and the pub/sub baseline", r)
	}
}

func TestBenchRefusesUnknownScenario(t *testing.T) {
	out, err := runCommand(t, baseEnv(t), "bench", "nope")
	if err == nil || !strings.Contains(out, "unknown scenario") {
		t.Fatalf("bench nope: err=%v, want an unknown-scenario error:\n%s", err, out)
	}
}
