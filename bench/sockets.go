package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/numeneon/numeneon/client"
)

// runSockets opens Sockets authenticated sockets spread over the targets,
// holds them idle, and reports the handshake rate, the server memory per
// socket (from the RSS of PIDs) and, with RedisURL, the Redis commands the
// servers sent while idle.
//
// The memory figure is measured twice: over all sockets, and over the second
// half only (RSS growth between half and all, per socket). The second is the
// steadier one: the first sockets may fill memory the server freed but kept
// (from password hashing during the sign-ups), which hides their cost. The
// users sign up one at a time, so that freed memory stays small.
func runSockets(ctx context.Context, o *Options) (*Result, error) {
	nUsers := min(o.Sockets, 20)
	users, err := createUsersAtOnce(ctx, o, newHTTPClient(), "sk", nUsers, 1)
	if err != nil {
		return nil, err
	}
	dialers := socketDialers(o.SourceAddrs)
	rssBefore, err := rssOf(o.PIDs)
	if err != nil {
		return nil, err
	}

	var (
		opened, errs atomic.Int64
		handshake    Recorder
		mu           sync.Mutex
		conns        = make([]*websocket.Conn, 0, o.Sockets)
		firstErr     error
	)
	zero := atomic.Int64{}
	progress := newProgress(o.Progress, "sockets", &opened, &zero)
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	startWorkers := func() {
		for range 64 {
			wg.Add(1)
			go func(work chan int) {
				defer wg.Done()
				for i := range work {
					u := users[i%nUsers].WithBase(o.target(i))
					t0 := time.Now()
					s, err := u.Dial(ctx, client.DialOptions{HTTPClient: dialers[i%len(dialers)]})
					if err != nil {
						errs.Add(1)
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					}
					handshake.Add(time.Since(t0))
					// Answer pings and notice a close while the socket idles.
					s.Conn.CloseRead(context.Background())
					mu.Lock()
					conns = append(conns, s.Conn)
					mu.Unlock()
					opened.Add(1)
				}
			}(work)
		}
	}
	startWorkers()
	half := o.Sockets / 2
	var rssHalf int64
	var openedHalf int64
	for i := range o.Sockets {
		if i == half {
			// Let the first half finish, then read the memory in between.
			close(work)
			wg.Wait()
			if rssHalf, err = rssOf(o.PIDs); err != nil {
				return nil, err
			}
			openedHalf = opened.Load()
			work = make(chan int)
			startWorkers()
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	openSecs := time.Since(start).Seconds()
	progress.stop()
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()

	// Hold the sockets idle, counting Redis commands over the window.
	cmdsBefore, err := redisCommands(ctx, o.RedisURL)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "holding %d sockets idle for %s\n", opened.Load(), o.Hold)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.Hold):
	}
	cmdsAfter, err := redisCommands(ctx, o.RedisURL)
	if err != nil {
		return nil, err
	}
	rssAfter, err := rssOf(o.PIDs)
	if err != nil {
		return nil, err
	}

	n := opened.Load()
	figures := map[string]float64{
		"sockets open":   float64(n),
		"handshakes/s":   float64(n) / openSecs,
		"sockets failed": float64(errs.Load()),
	}
	if len(o.PIDs) > 0 && n > 0 {
		figures["server RSS before (MiB)"] = float64(rssBefore) / (1 << 20)
		figures["server RSS after (MiB)"] = float64(rssAfter) / (1 << 20)
		figures["server KiB per socket"] = float64(rssAfter-rssBefore) / 1024 / float64(n)
		if second := n - openedHalf; second > 0 {
			figures["server KiB per socket (second half)"] = float64(rssAfter-rssHalf) / 1024 / float64(second)
		}
	}
	if o.RedisURL != "" {
		workers := max(len(o.PIDs), len(o.Targets))
		perMin := float64(cmdsAfter-cmdsBefore) / o.Hold.Minutes()
		figures["redis commands/min idle (all)"] = perMin
		figures["redis commands/min idle per worker"] = perMin / float64(workers)
	}
	r := &Result{Sent: int64(o.Sockets), Delivered: n, Errors: errs.Load(), Seconds: openSecs, Figures: figures,
		Latency: map[string]Summary{"handshake": handshake.Summary()}}
	if firstErr != nil && o.Progress != nil {
		fmt.Fprintf(o.Progress, "first socket error: %v\n", firstErr)
	}
	return r, nil
}

// socketDialers returns one HTTP client per local source address, so that
// more than ~60,000 sockets can reach one server port.
func socketDialers(addrs []string) []*http.Client {
	if len(addrs) == 0 {
		return []*http.Client{nil}
	}
	var out []*http.Client
	for _, a := range addrs {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(a)}, Timeout: 10 * time.Second}
		t := &http.Transport{DialContext: d.DialContext}
		out = append(out, &http.Client{Transport: t})
	}
	return out
}

// rssOf returns the summed resident memory of the processes, in bytes.
func rssOf(pids []int) (int64, error) {
	var total int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0, fmt.Errorf("read memory of pid %d: %w", pid, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				total += kb * 1024
			}
		}
	}
	return total, nil
}

// redisCommands returns the total commands Redis processed, not counting
// the INFO calls of this tool. 0 without a URL.
func redisCommands(ctx context.Context, url string) (int64, error) {
	if url == "" {
		return 0, nil
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return 0, fmt.Errorf("parse --redis: %w", err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, fmt.Errorf("read Redis command stats: %w", err)
	}
	var total int64
	for _, line := range strings.Split(info, "\n") {
		// cmdstat_publish:calls=12,usec=...
		if !strings.HasPrefix(line, "cmdstat_") || strings.HasPrefix(line, "cmdstat_info:") || strings.HasPrefix(line, "cmdstat_hello:") || strings.HasPrefix(line, "cmdstat_client|") {
			continue
		}
		i := strings.Index(line, "calls=")
		if i < 0 {
			continue
		}
		rest := line[i+6:]
		if j := strings.IndexByte(rest, ','); j >= 0 {
			rest = rest[:j]
		}
		n, _ := strconv.ParseInt(rest, 10, 64)
		total += n
	}
	return total, nil
}
