package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Current argon2id parameters: the OWASP Password Storage Cheat Sheet's first
// recommendation (19 MiB, 2 passes, 1 lane). One hash costs about 20-25 ms and
// 19 MiB on the 2-core Xeon we develop on when it is otherwise idle
// (BenchmarkHashPassword; PBKDF2 at Django 5.2's 1,000,000 iterations takes
// about 140 ms there), which keeps a login well under the latency budget while
// making offline guessing costly.
// Each concurrent login holds 19 MiB while it hashes; the login rate limit is
// what bounds how many run at once.
const (
	argonMemory  = 19456 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on parameters read back from a stored hash. A hash comes from our
// database, but a corrupt or planted row must not make one login allocate
// gigabytes, spin for minutes, or panic inside argon2.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
	minArgonSaltLen = 8
	maxArgonSaltLen = 64
	minArgonKeyLen  = 16
	maxArgonKeyLen  = 64
)

// ErrMalformedHash is wrapped by VerifyPassword when the stored hash cannot
// be read: a bug or a corrupt row, never the user's fault.
var ErrMalformedHash = errors.New("malformed password hash")

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// equalizeSalt is fixed because EqualizeTiming's result is thrown away; only
// the work matters.
var equalizeSalt = []byte("numeneon-equalize")

// HashPassword returns an argon2id hash of password with a fresh random salt,
// in the PHC string format "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches encoded, an argon2id PHC
// string or a Django "pbkdf2_sha256$<iterations>$<salt>$<hash>". needsUpgrade
// is true when the password matched but encoded is not an argon2id hash at
// least as strong as HashPassword's, so the caller should store a fresh
// HashPassword result. The comparison is constant-time.
//
// A Django unusable password ("!" followed by anything) never matches and is
// not an error. Any other hash that cannot be read returns an error wrapping
// ErrMalformedHash; it never panics, whatever encoded holds.
func VerifyPassword(encoded, password string) (ok bool, needsUpgrade bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "!"):
		// Still do the work so this account's failed login takes as long as
		// anyone's.
		EqualizeTiming(password)
		return false, false, nil
	case strings.HasPrefix(encoded, "$argon2id$"):
		return verifyArgon2id(encoded, password)
	case strings.HasPrefix(encoded, djangoPBKDF2Prefix):
		return verifyDjangoPBKDF2(encoded, password)
	}
	return false, false, fmt.Errorf("verify password: unknown hash algorithm: %w", ErrMalformedHash)
}

// EqualizeTiming runs one hash with the current parameters and discards it.
// The login path calls it when no account has the email, so a missing
// account and a wrong password take the same time.
func EqualizeTiming(password string) {
	argon2.IDKey([]byte(password), equalizeSalt, argonTime, argonMemory, argonThreads, argonKeyLen)
}

// argonParams are the parameters read from a PHC string.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func verifyArgon2id(encoded, password string) (ok, needsUpgrade bool, err error) {
	p, err := parseArgon2id(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(key, p.key) != 1 {
		return false, false, nil
	}
	weaker := p.memory < argonMemory || p.time < argonTime || len(p.key) < argonKeyLen || len(p.salt) < argonSaltLen
	return true, weaker, nil
}

// parseArgon2id reads "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>".
func parseArgon2id(encoded string) (argonParams, error) {
	var p argonParams
	parts := strings.Split(encoded, "$")
	// parts[0] is the empty string before the leading "$".
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, fmt.Errorf("argon2id hash has %d fields, want 6: %w", len(parts), ErrMalformedHash)
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, fmt.Errorf("argon2id version %q is not supported: %w", parts[2], ErrMalformedHash)
	}
	var memory, passes, threads uint64
	for i, field := range strings.Split(parts[3], ",") {
		name, value, found := strings.Cut(field, "=")
		want := [...]string{"m", "t", "p"}
		if !found || i >= len(want) || name != want[i] {
			return p, fmt.Errorf("argon2id parameters %q are not m=,t=,p=: %w", parts[3], ErrMalformedHash)
		}
		n, err := parseDecimal(value)
		if err != nil {
			return p, fmt.Errorf("read argon2id parameter %s: %w", name, err)
		}
		switch name {
		case "m":
			memory = n
		case "t":
			passes = n
		case "p":
			threads = n
		}
	}
	switch {
	case threads < 1 || threads > maxArgonThreads:
		return p, fmt.Errorf("argon2id p=%d out of range: %w", threads, ErrMalformedHash)
	case passes < 1 || passes > maxArgonTime:
		return p, fmt.Errorf("argon2id t=%d out of range: %w", passes, ErrMalformedHash)
	case memory < 8*threads || memory > maxArgonMemory:
		// RFC 9106 requires at least 8 KiB per lane.
		return p, fmt.Errorf("argon2id m=%d out of range: %w", memory, ErrMalformedHash)
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return p, fmt.Errorf("argon2id salt is not %d-%d bytes of base64: %w", minArgonSaltLen, maxArgonSaltLen, ErrMalformedHash)
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return p, fmt.Errorf("argon2id hash is not %d-%d bytes of base64: %w", minArgonKeyLen, maxArgonKeyLen, ErrMalformedHash)
	}
	p.memory, p.time, p.threads = uint32(memory), uint32(passes), uint8(threads)
	p.salt, p.key = salt, key
	return p, nil
}

// parseDecimal reads a plain unsigned decimal: no sign, no spaces, no
// leading zeros beyond "0", at most 9 digits so it fits every field we use.
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("number %q: %w", s, ErrMalformedHash)
	}
	var n uint64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("number %q: %w", s, ErrMalformedHash)
		}
		n = n*10 + uint64(c-'0')
	}
	return n, nil
}
