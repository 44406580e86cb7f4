// Package djangocompat holds tokens and password hashes made by the original
// Django backend's own libraries (djangorestframework-simplejwt, Django's
// PBKDF2 hasher), so tests in auth, app and api can prove that what the
// original issued keeps working here. The vectors are embedded: a missing or
// empty file fails the build or the test, never skips it.
package djangocompat

import (
	_ "embed"
	"encoding/json"
	"strings"
	"testing"
)

//go:embed testdata/django-compat.json
var vectorsJSON []byte

// Vectors are the contents of testdata/django-compat.json. Every token is
// signed with SecretKey (HS256).
type Vectors struct {
	SecretKey string     `json:"secret_key"`
	Tokens    []Token    `json:"tokens"`
	Passwords []Password `json:"passwords"`
}

// Token is a JWT minted by simplejwt; Valid says whether simplejwt accepts it
// (and so must we), Why says what is wrong with it when it does not.
type Token struct {
	Name      string `json:"name"`
	Token     string `json:"token"`
	Valid     bool   `json:"valid"`
	UserID    int64  `json:"user_id"`
	TokenType string `json:"token_type"`
	Why       string `json:"why"`
}

// Password is a Django password hash of Password.
type Password struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
}

// Load decodes the vectors, failing tb if they are malformed or empty.
func Load(tb testing.TB) Vectors {
	tb.Helper()
	var v Vectors
	if err := json.Unmarshal(vectorsJSON, &v); err != nil {
		tb.Fatalf("decode testdata/django-compat.json: %v", err)
	}
	if v.SecretKey == "" || len(v.Tokens) == 0 || len(v.Passwords) == 0 {
		tb.Fatal("testdata/django-compat.json holds no secret, tokens or passwords")
	}
	return v
}

// Django32Hash returns the hash Django 3.2's default hasher (pbkdf2_sha256,
// 260000 iterations) made of "test123", the one accounts migrated from the
// original backend carry. It fails tb when the vectors hold none.
func Django32Hash(tb testing.TB) string {
	tb.Helper()
	for _, p := range Load(tb).Passwords {
		if p.Password == "test123" && strings.HasPrefix(p.Hash, "pbkdf2_sha256$260000$") {
			return p.Hash
		}
	}
	tb.Fatal("no Django 3.2 hash of test123 in testdata/django-compat.json")
	return ""
}
