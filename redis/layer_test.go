package redis_test

import (
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/redis"
)

// TestLayer runs the conformance suite against the shared Redis: n layers
// with one prefix stand for n processes of one deployment.
func TestLayer(t *testing.T) {
	url := testsvc.RedisURL(t)
	layertest.Run(t, func(t *testing.T, n int) []numeneon.Layer {
		opts := testOptions(t, url)
		layers := make([]numeneon.Layer, n)
		for i := range layers {
			l, err := redis.NewLayer(t.Context(), opts)
			if err != nil {
				t.Fatalf("NewLayer: %v", err)
			}
			layers[i] = l
		}
		return layers
	})
}

func TestPresenceConformance(t *testing.T) {
	url := testsvc.RedisURL(t)
	layertest.RunPresence(t, func(t *testing.T, n int) []numeneon.Presence {
		opts := testOptions(t, url)
		ps := make([]numeneon.Presence, n)
		for i := range ps {
			p, err := redis.NewPresence(t.Context(), opts)
			if err != nil {
				t.Fatalf("NewPresence: %v", err)
			}
			ps[i] = p
		}
		return ps
	})
}
