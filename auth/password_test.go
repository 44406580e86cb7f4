package auth_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/numeneon/numeneon/auth"
)

var phcArgon2id = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPassword_RoundTrip(t *testing.T) {
	for _, password := range []string{"correct horse battery staple", "", "pässwörd ✓", strings.Repeat("x", 1000)} {
		t.Run(fmt.Sprintf("%.20q", password), func(t *testing.T) {
			encoded, err := auth.HashPassword(password)
			if err != nil {
				t.Fatalf("HashPassword: %v", err)
			}
			if !phcArgon2id.MatchString(encoded) {
				t.Errorf("HashPassword = %q, want PHC argon2id with m=19456,t=2,p=1, 16-byte salt, 32-byte hash", encoded)
			}
			ok, needsUpgrade, err := auth.VerifyPassword(encoded, password)
			if err != nil || !ok || needsUpgrade {
				t.Errorf("VerifyPassword(right password) = %v, %v, %v; want true, false, nil", ok, needsUpgrade, err)
			}
			ok, needsUpgrade, err = auth.VerifyPassword(encoded, password+"!")
			if err != nil || ok || needsUpgrade {
				t.Errorf("VerifyPassword(wrong password) = %v, %v, %v; want false, false, nil", ok, needsUpgrade, err)
			}
		})
	}
}

// Two users with the same password must not share a hash, or cracking one
// cracks both.
func TestHashPassword_FreshSalt(t *testing.T) {
	a, err := auth.HashPassword("same password")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	b, err := auth.HashPassword("same password")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

// argon2id hashes made elsewhere verify, and only ones weaker than ours are
// flagged for re-hashing.
func TestVerifyPassword_Argon2idParams(t *testing.T) {
	const password = "correct horse battery staple"
	for _, tc := range []struct {
		name        string
		encoded     string
		wantUpgrade bool
	}{
		{
			// From the argon2-cffi documentation: another implementation
			// (the reference C code) with stronger parameters than ours.
			name:    "argon2-cffi reference",
			encoded: "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",
		},
		{name: "less memory", encoded: argon2idHash(password, 8192, 2, 1, 16, 32), wantUpgrade: true},
		{name: "fewer passes", encoded: argon2idHash(password, 19456, 1, 1, 16, 32), wantUpgrade: true},
		{name: "shorter hash", encoded: argon2idHash(password, 19456, 2, 1, 16, 16), wantUpgrade: true},
		{name: "shorter salt", encoded: argon2idHash(password, 19456, 2, 1, 8, 32), wantUpgrade: true},
		{name: "more lanes, same cost", encoded: argon2idHash(password, 19456, 2, 2, 16, 32)},
		{name: "more memory and passes", encoded: argon2idHash(password, 32768, 3, 1, 16, 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, needsUpgrade, err := auth.VerifyPassword(tc.encoded, password)
			if err != nil || !ok || needsUpgrade != tc.wantUpgrade {
				t.Errorf("VerifyPassword(right password) = %v, %v, %v; want true, %v, nil", ok, needsUpgrade, err, tc.wantUpgrade)
			}
			ok, needsUpgrade, err = auth.VerifyPassword(tc.encoded, "Tr0ub4dor&3")
			if err != nil || ok || needsUpgrade {
				t.Errorf("VerifyPassword(wrong password) = %v, %v, %v; want false, false, nil", ok, needsUpgrade, err)
			}
		})
	}
}

// Django marks accounts that may not log in with a password by "!" and 40
// random characters; they fail like a wrong password, without an error.
func TestVerifyPassword_DjangoUnusablePassword(t *testing.T) {
	ok, needsUpgrade, err := auth.VerifyPassword("!Xb2yNnq7d9WcV3LmKp0sT4fGhJ5aZ1eR8uIoY6t", "anything")
	if err != nil || ok || needsUpgrade {
		t.Errorf("VerifyPassword(unusable) = %v, %v, %v; want false, false, nil", ok, needsUpgrade, err)
	}
}

// malformedHashes are stored hashes VerifyPassword cannot read; each must be
// an error, never a match and never a panic.
var malformedHashes = []string{
	"",
	"test123",
	"$",
	"$argon2id$",
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43) + "$extra",
	"$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	"$argon2d$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$t=2,m=19456,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1,k=3$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=0$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=0,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=4294967295,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=256$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=-1,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=+19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1$$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1$not*base64!$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + strings.Repeat("A", 43),
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 4),
	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 200),
	"pbkdf2_sha256$",
	"pbkdf2_sha256$260000$salt",
	"pbkdf2_sha256$260000$salt$hash$extra",
	"pbkdf2_sha256$0$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$-1$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$abc$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$99999999999999999999$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$999999999$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$260000$$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"pbkdf2_sha256$260000$lIpnEQrvPADvvl3emvyFDF$",
	"pbkdf2_sha256$260000$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY",
	"pbkdf2_sha256$260000$lIpnEQrvPADvvl3emvyFDF$aG8x",
	"pbkdf2_sha256$260000$lIpnEQrvPADvvl3emvyFDF$!!!!",
	"pbkdf2_sha1$260000$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=",
	"bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuJ4Yp4kG3DqZ7Vb8eZ6WqLjWcN5m7kGy",
	"md5$salt$0123456789abcdef0123456789abcdef",
	"\x00\xff$argon2id$",
}

func TestVerifyPassword_MalformedHash(t *testing.T) {
	for _, encoded := range malformedHashes {
		t.Run(fmt.Sprintf("%.40q", encoded), func(t *testing.T) {
			ok, needsUpgrade, err := auth.VerifyPassword(encoded, "test123")
			if !errors.Is(err, auth.ErrMalformedHash) || ok || needsUpgrade {
				t.Errorf("VerifyPassword(%q) = %v, %v, %v; want false, false, ErrMalformedHash", encoded, ok, needsUpgrade, err)
			}
		})
	}
}

// FuzzVerifyPassword feeds arbitrary stored hashes: a corrupt row must never
// crash the login path nor let a password in.
func FuzzVerifyPassword(f *testing.F) {
	f.Add(argon2idHash("test123", 64, 1, 1, 16, 32), "test123")
	f.Add("pbkdf2_sha256$1000$lIpnEQrvPADvvl3emvyFDF$ho1MNDMI85Jq6l4utlT/gpXqyFV7xw3NyZF6cWnw5xY=", "test123")
	f.Add("!unusable", "test123")
	for _, encoded := range malformedHashes {
		f.Add(encoded, "test123")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, needsUpgrade, err := auth.VerifyPassword(encoded, password)
		if err != nil && (ok || needsUpgrade) {
			t.Errorf("VerifyPassword(%q) = %v, %v with error %v; an error must not match", encoded, ok, needsUpgrade, err)
		}
		if !ok && needsUpgrade {
			t.Errorf("VerifyPassword(%q) asks to upgrade a hash that did not match", encoded)
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPassword and BenchmarkEqualizeTiming should report about the
// same time per operation: that is what keeps unknown emails from showing.
func BenchmarkVerifyPassword(b *testing.B) {
	encoded, err := auth.HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := auth.VerifyPassword(encoded, "wrong password"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEqualizeTiming(b *testing.B) {
	for b.Loop() {
		auth.EqualizeTiming("wrong password")
	}
}

// argon2idHash builds a PHC string with the given parameters, standing in for
// hashes stored under older or other settings.
func argon2idHash(password string, memory, passes uint32, lanes uint8, saltLen, keyLen int) string {
	salt := []byte(strings.Repeat("s", saltLen))
	key := argon2.IDKey([]byte(password), salt, passes, memory, lanes, uint32(keyLen))
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", memory, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key))
}
