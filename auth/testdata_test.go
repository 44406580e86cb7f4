package auth_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// djangoCompat is shared/testdata/django-compat.json: tokens and hashes made
// by the original backend's libraries.
type djangoCompat struct {
	SecretKey string `json:"secret_key"`
	Tokens    []struct {
		Name      string `json:"name"`
		Token     string `json:"token"`
		Valid     bool   `json:"valid"`
		UserID    int64  `json:"user_id"`
		TokenType string `json:"token_type"`
		Why       string `json:"why"`
	} `json:"tokens"`
	Passwords []struct {
		Name     string `json:"name"`
		Password string `json:"password"`
		Hash     string `json:"hash"`
	} `json:"passwords"`
}

// mustLoadDjangoCompat finds shared/testdata/django-compat.json by walking up
// from the package directory, so it works from the main checkout (shared is
// a sibling of the repository) and from CI's clone (a copy of shared beside
// it). A missing file fails the test: skipping would hide a broken migration.
func mustLoadDjangoCompat(tb testing.TB) djangoCompat {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("get working directory: %v", err)
	}
	for {
		path := filepath.Join(dir, "shared", "testdata", "django-compat.json")
		data, err := os.ReadFile(path)
		if err == nil {
			var c djangoCompat
			if err := json.Unmarshal(data, &c); err != nil {
				tb.Fatalf("decode %s: %v", path, err)
			}
			if c.SecretKey == "" || len(c.Tokens) == 0 || len(c.Passwords) == 0 {
				tb.Fatalf("%s holds no secret, tokens or passwords", path)
			}
			return c
		}
		if !os.IsNotExist(err) {
			tb.Fatalf("read %s: %v", path, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("shared/testdata/django-compat.json not found in any parent directory")
		}
		dir = parent
	}
}
