package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/auth"
)

// Every token rotated from a login carries that login's family, so signing
// out with any of them can end them all.
func TestIssuePairWith_Family(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	_, first, err := tokens.IssuePair(42)
	if err != nil {
		t.Fatal(err)
	}
	root := mustParse(t, tokens, first, auth.TokenRefresh)
	if root.Family != root.JTI {
		t.Fatalf("a login's refresh token has family %q, want its own jti %q", root.Family, root.JTI)
	}
	access, rotated, err := tokens.IssuePairWith(42, auth.PairOptions{Family: root.Family})
	if err != nil {
		t.Fatal(err)
	}
	got := mustParse(t, tokens, rotated, auth.TokenRefresh)
	if got.Family != root.Family || got.JTI == root.JTI {
		t.Errorf("rotated token: family %q jti %q; want family %q and a jti of its own", got.Family, got.JTI, root.Family)
	}
	// Access tokens carry no family claim: their payload stays simplejwt's.
	if a := mustParse(t, tokens, access, auth.TokenAccess); a.Family != a.JTI {
		t.Errorf("access token family = %q, want its own jti %q", a.Family, a.JTI)
	}
	if payload := mustDecodeSegment(t, strings.Split(access, ".")[1]); strings.Contains(payload, "family") {
		t.Errorf("access payload %s carries a family", payload)
	}
}

// A session ended at 12:00:00.4 refuses tokens with iat 12:00:00; the tokens
// issued for the user right after it must carry iat 12:00:01 to pass.
func TestIssuePairWith_NotBefore(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	now := time.Date(2026, 1, 30, 12, 0, 0, 400_000_000, time.UTC)
	tokens.Now = func() time.Time { return now }
	validAfter := now.Truncate(time.Second).Add(time.Second)
	access, refresh, err := tokens.IssuePairWith(42, auth.PairOptions{NotBefore: validAfter})
	if err != nil {
		t.Fatal(err)
	}
	for typ, token := range map[string]string{auth.TokenAccess: access, auth.TokenRefresh: refresh} {
		c := mustParse(t, tokens, token, typ)
		if !c.IssuedAt.Equal(validAfter) {
			t.Errorf("%s iat = %v, want %v", typ, c.IssuedAt, validAfter)
		}
	}
	// A NotBefore in the past changes nothing.
	a, _, err := tokens.IssuePairWith(42, auth.PairOptions{NotBefore: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if c := mustParse(t, tokens, a, auth.TokenAccess); !c.IssuedAt.Equal(now.Truncate(time.Second)) {
		t.Errorf("iat = %v, want the current second %v", c.IssuedAt, now.Truncate(time.Second))
	}
	// A family revoked now must be remembered until the last token of it
	// issued now stops verifying.
	c := mustParse(t, tokens, refresh, auth.TokenRefresh)
	if until := tokens.RefreshAcceptedUntil(); until.Before(auth.AcceptedUntil(c)) {
		t.Errorf("RefreshAcceptedUntil = %v, before the refresh token's last accepted moment %v", until, auth.AcceptedUntil(c))
	}
}

func mustParse(tb testing.TB, tokens *auth.Tokens, token, typ string) *auth.Claims {
	tb.Helper()
	c, err := tokens.Parse(token, typ)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", typ, err)
	}
	return c
}
