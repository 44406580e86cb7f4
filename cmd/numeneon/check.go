package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/numeneon/numeneon/pglayer"
)

// runCheck prints the effective configuration and tests each connection.
// It fails when a connection does not answer.
func runCheck(ctx context.Context, cfg *Config, w io.Writer) error {
	if cfg.SecretKey == "" {
		cfg.loadStoredSecretKey()
	}
	cfg.describe(w)
	fmt.Fprintln(w)
	var failed []error
	report := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(w, "FAIL  %s: %v\n", what, err)
			failed = append(failed, fmt.Errorf("%s: %w", what, err))
			return
		}
		fmt.Fprintf(w, "ok    %s\n", what)
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kind, _ := cfg.databaseKind()
	store, err := openStore(ctx, cfg, false)
	if err == nil {
		err = store.Ping(ctx)
	}
	report("database ("+kind+")", err)

	layer, why := cfg.layerChoice()
	events, _ := store.(pglayer.Events)
	report("channel layer ("+layer+": "+why+"): an event published came back", checkLayer(ctx, cfg, events))
	if store != nil {
		store.Close()
	}
	checkMusic(ctx, cfg, w)
	return errors.Join(failed...)
}
