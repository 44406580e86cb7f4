package auth

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

const djangoPBKDF2Prefix = "pbkdf2_sha256$"

// maxPBKDF2Iterations is well above Django's defaults (260,000 in 3.2,
// 1,000,000 in 5.2, about 140 ms here) yet stops a corrupt row from holding a
// login for minutes.
const maxPBKDF2Iterations = 10_000_000

// verifyDjangoPBKDF2 checks Django's PBKDF2PasswordHasher format
// "pbkdf2_sha256$<iterations>$<salt>$<base64 hash>". Django uses the salt
// text as bytes (it is not base64) and a 32-byte key, base64 with padding.
// A match always needs an upgrade: we store only argon2id.
func verifyDjangoPBKDF2(encoded, password string) (ok, needsUpgrade bool, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 {
		return false, false, fmt.Errorf("verify password: pbkdf2_sha256 hash has %d fields, want 4: %w", len(parts), ErrMalformedHash)
	}
	iterations, err := parseDecimal(parts[1])
	if err != nil || iterations < 1 || iterations > maxPBKDF2Iterations {
		return false, false, fmt.Errorf("verify password: pbkdf2_sha256 iterations %q out of range: %w", parts[1], ErrMalformedHash)
	}
	salt := parts[2]
	if salt == "" {
		return false, false, fmt.Errorf("verify password: pbkdf2_sha256 salt is empty: %w", ErrMalformedHash)
	}
	want, err := base64.StdEncoding.Strict().DecodeString(parts[3])
	if err != nil || len(want) != sha256.Size {
		return false, false, fmt.Errorf("verify password: pbkdf2_sha256 hash is not %d bytes of base64: %w", sha256.Size, ErrMalformedHash)
	}
	got, err := pbkdf2.Key(sha256.New, password, []byte(salt), int(iterations), sha256.Size)
	if err != nil {
		return false, false, fmt.Errorf("verify password: derive pbkdf2_sha256 key: %w", err)
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, true, nil
}
