package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds one probe: a container runtime runs it often.
const healthcheckTimeout = 3 * time.Second

// runHealthcheck probes /healthz of the server on this machine and fails
// unless it answers 200. It is the health check of the container image,
// which has no shell and no curl: the binary probes itself. The port is
// PORT's (8000 by default), or --url.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	port := getenv("PORT")
	if port == "" {
		port = "8000"
	}
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", "the URL to probe")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *target, resp.Status)
	}
	fmt.Fprintf(stdout, "ok %s\n", *target)
	return nil
}
