package inmem_test

import (
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/layertest"
)

// The in-process layer stands for one process only: the factory gives one
// layer whatever it is asked, and the suite skips the multi-process cases.
func TestLayer(t *testing.T) {
	layertest.Run(t, func(t *testing.T, n int) []numeneon.Layer {
		return []numeneon.Layer{inmem.NewLayer()}
	})
}

func TestPresence(t *testing.T) {
	layertest.RunPresence(t, func(t *testing.T, n int) []numeneon.Presence {
		return []numeneon.Presence{inmem.NewPresence()}
	})
}
