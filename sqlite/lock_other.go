//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package sqlite

import (
	"context"
	"sync"
)

// migrateMu serialises migrations within one process on systems without
// flock. Several processes migrating the same file at once are not
// protected there; start one process first (`numeneon migrate`).
var migrateMu sync.Mutex

func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	migrateMu.Lock()
	return migrateMu.Unlock, nil
}
