package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/pglayer"
	"github.com/numeneon/numeneon/redis"
)

// The channel layers a configuration can run.
const (
	layerRedis     = "redis"
	layerPostgres  = "postgres"
	layerInProcess = "in-process"
)

// layerChoice returns the channel layer this configuration runs and why.
// A shared database always means a shared layer: processes that share a
// PostgreSQL database and no Redis deliver to each other through
// PostgreSQL, never each through a layer of its own.
func (c *Config) layerChoice() (kind, why string) {
	if c.RedisURL != "" {
		return layerRedis, "REDIS_URL is set"
	}
	if db, _ := c.databaseKind(); db == "postgres" {
		return layerPostgres, "DATABASE_URL is PostgreSQL and REDIS_URL is not set: every process sharing the database delivers to the others through its LISTEN/NOTIFY"
	}
	return layerInProcess, "SQLite serves one process: events reach only this process's sockets; use PostgreSQL or set REDIS_URL for several workers or instances"
}

// SharedLayer reports whether events can cross processes.
func (c *Config) SharedLayer() bool {
	kind, _ := c.layerChoice()
	return kind != layerInProcess
}

// openLayer connects the channel layer and the presence layerChoice names.
// events reads stored events back for the PostgreSQL layer (the store).
func openLayer(ctx context.Context, cfg *Config, events pglayer.Events, logger *slog.Logger) (numeneon.Layer, numeneon.Presence, error) {
	switch kind, _ := cfg.layerChoice(); kind {
	case layerRedis:
		opts := redis.Options{URL: cfg.RedisURL, Logger: logger, HeartbeatInterval: cfg.PresenceHeartbeat}
		layer, err := redis.NewLayer(ctx, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("connect the redis channel layer: %w", err)
		}
		presence, err := redis.NewPresence(ctx, opts)
		if err != nil {
			_ = layer.Close()
			return nil, nil, fmt.Errorf("connect redis presence: %w", err)
		}
		return layer, presence, nil
	case layerPostgres:
		if events == nil {
			return nil, nil, errors.New("the PostgreSQL channel layer needs the PostgreSQL store")
		}
		layer, err := pglayer.New(ctx, pglayer.Config{URL: cfg.DatabaseURL, Events: events, Logger: logger})
		if err != nil {
			return nil, nil, fmt.Errorf("connect the postgres channel layer: %w", err)
		}
		presence, err := pglayer.NewPresence(ctx, pglayer.PresenceConfig{URL: cfg.DatabaseURL, Heartbeat: cfg.PresenceHeartbeat, Logger: logger})
		if err != nil {
			_ = layer.Close()
			return nil, nil, fmt.Errorf("connect postgres presence: %w", err)
		}
		return layer, presence, nil
	default:
		return inmem.NewLayer(), inmem.NewPresence(), nil
	}
}

// checkLayer connects the channel layer layerChoice names and proves a
// round trip through it, for numeneon check.
func checkLayer(ctx context.Context, cfg *Config, events pglayer.Events) error {
	layer, presence, err := openLayer(ctx, cfg, events, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer func() {
		_ = presence.Close()
		_ = layer.Close()
	}()
	rec := &loopback{arrived: make(chan struct{})}
	layer.Listen(rec)
	const probeUser = -1 // no user has it
	if err := layer.Subscribe(ctx, probeUser); err != nil {
		return err
	}
	if err := layer.Publish(ctx, numeneon.Envelope{UserID: probeUser, Frame: []byte(`{"type":"check"}`)}); err != nil {
		return err
	}
	select {
	case <-rec.arrived:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("a published event did not come back within 5 s")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loopback is the handler of checkLayer.
type loopback struct {
	arrived chan struct{}
	got     bool
}

func (l *loopback) DeliverEnvelope(numeneon.Envelope) {
	if !l.got {
		l.got = true
		close(l.arrived)
	}
}

func (l *loopback) LayerReconnected() {}
