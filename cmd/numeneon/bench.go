package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/numeneon/numeneon/bench"
)

const benchUsage = `Usage: numeneon bench <scenario> [flags]

Scenarios:
  crossworker   pairs of users on different targets: friend requests, acceptances,
                messages each way; fails on any lost or duplicated event
  throughput    senders post to receivers connected to another target; closed loop
                (--concurrency) or open loop (--rate); requests/s, delivered/s, latency
  sockets       opens --sockets authenticated sockets and holds them; handshakes/s,
                server memory per socket (--pids), idle Redis commands (--redis)
  conversations one user with --users conversations reads its inbox in a closed loop
                (--concurrency, --duration); latency of GET /api/messages/conversations/
  feed          one user with --friends friends (500) who wrote --posts posts (20,000) reads the
                first page of the feed in a closed loop; latency of GET /api/posts/
  fanout        an author with --friends friends (200), each with a socket on the targets in
                turn, posts --posts posts (20); POST to the last friend's receipt. With --redis,
                also one Redis PUBLISH to as many subscribers, for comparison

The targets need RATE_LIMITS=off (a load test trips the default limits).
Progress goes to stderr; the summary and a final JSON line to stdout.
`

// runBench runs a load scenario against running servers.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, benchUsage)
		return flag.ErrHelp
	}
	scenario := args[0]
	var o bench.Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage, "\nFlags:\n"); fs.PrintDefaults() }
	targets := fs.String("targets", "http://127.0.0.1:8000", "comma-separated base URLs, one per worker or instance")
	fs.IntVar(&o.Users, "users", 16, "crossworker: pairs; throughput: sender/receiver pairs; conversations: peers")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "closed loop: requests in flight")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: messages per second (0: closed loop)")
	fs.DurationVar(&o.Duration, "duration", 0, "throughput: how long to send (default 10s)")
	fs.IntVar(&o.Messages, "messages", 20, "crossworker: messages each way per pair")
	fs.IntVar(&o.Sockets, "sockets", 1000, "sockets: how many to open")
	srcs := fs.String("source-addrs", "", "sockets: comma-separated local addresses to dial from (127.0.0.2,127.0.0.3,…) to pass 60,000 sockets")
	pids := fs.String("pids", "", "sockets: comma-separated server pids whose memory is read")
	fs.StringVar(&o.RedisURL, "redis", "", "Redis URL whose command counts are read (sockets: idle; throughput: per delivered event); fanout: the pub/sub baseline's Redis")
	fs.DurationVar(&o.Hold, "hold", 0, "sockets: how long to hold the sockets idle (default 10s)")
	fs.IntVar(&o.Friends, "friends", 0, "feed, fanout: friends of the reading or posting user (default 500, 200)")
	fs.IntVar(&o.Posts, "posts", 0, "feed: posts the friends write (default 20000); fanout: posts sent (default 20)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	o.Targets = splitList(*targets)
	o.SourceAddrs = splitList(*srcs)
	for _, p := range splitList(*pids) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("--pids: %q is not a pid", p)
		}
		o.PIDs = append(o.PIDs, n)
	}
	if !*quiet {
		o.Progress = stderr
	}
	r, err := bench.Run(ctx, scenario, o)
	if err != nil {
		return err
	}
	r.WriteSummary(stdout)
	if err := r.WriteJSON(stdout); err != nil {
		return err
	}
	if r.Failed() {
		return errors.New("events were lost or duplicated")
	}
	return nil
}
