package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Timings of the supervisor, variables so tests can shorten them.
var (
	workerStopTimeout = shutdownTimeout + 5*time.Second // SIGTERM, then SIGKILL after this
	workerHealthyAge  = time.Minute                     // a worker that lived this long restarts at once
	workerMaxBackoff  = 30 * time.Second
)

// runSupervisor migrates the database once, then runs cfg.Workers copies of
// this program as workers sharing one port (SO_REUSEPORT), restarts any that
// crashes, and on ctx's end (SIGTERM) stops them all and waits for them.
func runSupervisor(ctx context.Context, cfg *Config, logger *slog.Logger) error {
	// Generate the development key here so every worker reads the same one.
	if err := cfg.ensureSecretKey(); err != nil {
		return err
	}
	if err := runMigrate(ctx, cfg, logger); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	logger.Info("starting workers", "workers", cfg.Workers, "port", cfg.Port, "layer", layerName(cfg))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		startErr error
	)
	// Once every worker listens, the supervisor is ready too: it tells its
	// own parent, when that one asked (NUMENEON_READY_FD), as a worker does.
	var notReady atomic.Int32
	notReady.Store(int32(cfg.Workers))
	workerReady := func() {
		if notReady.Add(-1) == 0 {
			signalReady()
		}
	}
	for i := 1; i <= cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := superviseWorker(ctx, exe, i, cfg.SecretKey, logger, workerReady); err != nil {
				mu.Lock()
				startErr = errors.Join(startErr, err)
				mu.Unlock()
				cancel() // one worker that cannot start stops them all
			}
		}()
	}
	wg.Wait()
	logger.Info("all workers stopped")
	return startErr
}

// superviseWorker keeps worker id running until ctx ends, and calls
// firstReady once the worker's first start listens. It returns an error
// only when the worker's first start fails.
func superviseWorker(ctx context.Context, exe string, id int, secretKey string, logger *slog.Logger, firstReady func()) error {
	backoff := time.Second
	for first := true; ; first = false {
		cmd := exec.Command(exe, os.Args[1:]...)
		cmd.Env = append(os.Environ(), "NUMENEON_WORKER_ID="+strconv.Itoa(id), "SECRET_KEY="+secretKey)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.SysProcAttr = workerProcAttr()
		// The worker writes a line on this pipe once it listens: a worker
		// that dies before that on its first start is a start-up failure.
		readyR, readyW, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("start worker %d: %w", id, err)
		}
		cmd.ExtraFiles = []*os.File{readyW}
		cmd.Env = append(cmd.Env, "NUMENEON_READY_FD=3")
		if err := cmd.Start(); err != nil {
			readyR.Close()
			readyW.Close()
			return fmt.Errorf("start worker %d: %w", id, err)
		}
		readyW.Close()
		ready := make(chan struct{})
		go func() {
			defer readyR.Close()
			if n, _ := readyR.Read(make([]byte, 1)); n > 0 {
				close(ready)
				if first {
					firstReady()
				}
			}
		}()
		started := time.Now()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()

		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(workerStopTimeout):
				logger.Warn("worker did not stop in time; killing it", "worker", id)
				_ = cmd.Process.Kill()
				<-done
			}
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			lived := time.Since(started)
			select {
			case <-ready:
			default:
				if first {
					return fmt.Errorf("worker %d exited during start-up (%v); see its log above", id, err)
				}
			}
			if lived > workerHealthyAge {
				backoff = time.Second
			}
			logger.Error("worker exited; restarting it", "worker", id, "error", fmt.Sprint(err), "after", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, workerMaxBackoff)
		}
	}
}
