package auth_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/internal/djangocompat"
)

// Tokens minted by simplejwt with the same SECRET_KEY must keep working after
// the switch, and the ones it would refuse must stay refused.
func TestParse_DjangoTokens(t *testing.T) {
	compat := djangocompat.Load(t)
	tokens := auth.NewTokens([]byte(compat.SecretKey))
	for _, tc := range compat.Tokens {
		t.Run(tc.Name, func(t *testing.T) {
			if !tc.Valid {
				// Either type: an invalid token must not pass as anything.
				for _, typ := range []string{auth.TokenAccess, auth.TokenRefresh} {
					claims, err := tokens.Parse(tc.Token, typ)
					if err == nil {
						t.Fatalf("Parse(%s, %q) accepted a token that is %s: %+v", tc.Name, typ, tc.Why, claims)
					}
					assertUnauthorized(t, err, "Token is invalid or expired")
				}
				return
			}
			claims, err := tokens.Parse(tc.Token, tc.TokenType)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.TokenType, err)
			}
			got := struct {
				UserID    int64
				TokenType string
			}{claims.UserID, claims.TokenType}
			want := struct {
				UserID    int64
				TokenType string
			}{tc.UserID, tc.TokenType}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("claims mismatch (-want +got):\n%s", diff)
			}
			if len(claims.JTI) != 32 {
				t.Errorf("JTI = %q, want the 32 hex characters simplejwt writes", claims.JTI)
			}
		})
	}
}

// Users who signed up on the original backend log in with the password they
// know, and are moved to argon2id on that login.
func TestVerifyPassword_DjangoPBKDF2(t *testing.T) {
	compat := djangocompat.Load(t)
	for _, tc := range compat.Passwords {
		t.Run(tc.Name, func(t *testing.T) {
			ok, needsUpgrade, err := auth.VerifyPassword(tc.Hash, tc.Password)
			if err != nil || !ok || !needsUpgrade {
				t.Errorf("VerifyPassword(right password) = %v, %v, %v; want true, true, nil", ok, needsUpgrade, err)
			}
			ok, needsUpgrade, err = auth.VerifyPassword(tc.Hash, tc.Password+"x")
			if err != nil || ok || needsUpgrade {
				t.Errorf("VerifyPassword(wrong password) = %v, %v, %v; want false, false, nil", ok, needsUpgrade, err)
			}
		})
	}
}

// assertUnauthorized checks that err is what the api renders as a 401 with
// the given client message.
func assertUnauthorized(tb testing.TB, err error, message string) {
	tb.Helper()
	if got := numeneon.ErrorCode(err); got != numeneon.EUNAUTHORIZED {
		tb.Errorf("ErrorCode(%v) = %q, want %q", err, got, numeneon.EUNAUTHORIZED)
	}
	if got := numeneon.ErrorMessage(err); got != message {
		tb.Errorf("ErrorMessage(%v) = %q, want %q", err, got, message)
	}
}
