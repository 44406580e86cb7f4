// Command numeneon is the NUMENEON backend: one binary with the subcommands
// serve (the default), migrate, check and bench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `numeneon — the NUMENEON real-time social backend

Usage:
  numeneon [serve] [flags]   run the server (the default)
  numeneon migrate [flags]   bring the database schema up to date and exit
  numeneon check [flags]     print the effective configuration (secrets masked) and test each connection
  numeneon seed [flags]      create demo users, friendships, messages, posts and stories (not in production) and print their logins
  numeneon user <action>     list, show, deactivate, activate, set-password users; list reports (numeneon user -h)
  numeneon vapid             print a fresh VAPID key pair for Web Push (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)
  numeneon healthcheck       probe /healthz of the server on this machine (for container health checks)
  numeneon bench <scenario>  load-test a running deployment (crossworker, throughput, sockets)
  numeneon <command> -h      the flags of a command

Configuration comes from the environment (PORT, DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_ORIGINS, WEB_CONCURRENCY, LOG_FORMAT, RATE_LIMITS,
NUMENEON_ENV, NUMENEON_DATA_DIR, MUSIC_API_URL, VAPID_*); flags override it.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "numeneon:", err)
		os.Exit(1)
	}
}

// run executes one subcommand; main only adds signals and the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	switch name {
	case "bench":
		return runBench(ctx, args, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout, stderr)
	case "vapid":
		return runVAPID(stdout)
	}
	var cfg Config
	if err := cfg.loadEnv(getenv); err != nil {
		return err
	}
	switch name {
	case "serve", "migrate", "check", "seed", "user":
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", name)
	}
	fs := cfg.flagSet(name, stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: numeneon %s [flags]\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 && name != "user" {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	level, _ := parseLevel(cfg.LogLevel)
	logger := newLogger(cfg.LogFormat, level, stderr, getenv("NUMENEON_WORKER_ID"))
	switch name {
	case "migrate":
		return runMigrate(ctx, &cfg, logger)
	case "check":
		return runCheck(ctx, &cfg, stdout)
	case "seed":
		return runSeed(ctx, &cfg, logger, stdout)
	case "user":
		return runUser(ctx, &cfg, fs.Args(), os.Stdin, stdout, stderr, logger)
	}
	if cfg.Workers > 1 && getenv("NUMENEON_WORKER_ID") == "" {
		return runSupervisor(ctx, &cfg, logger)
	}
	return runServe(ctx, &cfg, logger, getenv("NUMENEON_WORKER_ID") != "")
}

// runServe runs one serving process until ctx ends.
func runServe(ctx context.Context, cfg *Config, logger *slog.Logger, worker bool) error {
	s := &Server{Config: *cfg, Logger: logger, ReusePort: worker}
	// Workers find the schema migrated by their supervisor.
	if err := s.Open(ctx, !worker); err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, logger)
		if err != nil {
			s.Close()
			return err
		}
		defer stop()
	}
	signalReady()
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case serveErr = <-s.Done():
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		return errors.Join(serveErr, err)
	case <-time.After(shutdownTimeout):
		return errors.Join(serveErr, fmt.Errorf("shutdown did not finish within %v", shutdownTimeout))
	}
}

// signalReady tells a supervisor, when there is one, that this worker
// listens.
func signalReady() {
	fd, err := strconv.Atoi(os.Getenv("NUMENEON_READY_FD"))
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	if f == nil {
		return
	}
	_, _ = f.Write([]byte("ready\n"))
	f.Close()
}

func runMigrate(ctx context.Context, cfg *Config, logger *slog.Logger) error {
	store, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	logger.Info("database schema is up to date")
	return store.Close()
}

func newLogger(format string, level slog.Level, w io.Writer, workerID string) *slog.Logger {
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	l := slog.New(h)
	if workerID != "" {
		l = l.With("worker", workerID)
	}
	return l
}
