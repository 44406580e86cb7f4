package auth_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
)

var testSecret = []byte("numeneon-test-secret-0123456789abcdef")

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestIssuePair_RoundTrip(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	issuedAt := time.Now().Truncate(time.Second)
	tokens.Now = func() time.Time { return issuedAt }

	access, refresh, err := tokens.IssuePair(42)
	if err != nil {
		t.Fatalf("IssuePair: %v", err)
	}
	got := map[string]*auth.Claims{}
	for typ, token := range map[string]string{auth.TokenAccess: access, auth.TokenRefresh: refresh} {
		claims, err := tokens.Parse(token, typ)
		if err != nil {
			t.Fatalf("Parse(%s token): %v", typ, err)
		}
		if !hex32.MatchString(claims.JTI) {
			t.Errorf("%s JTI = %q, want 32 lowercase hex characters", typ, claims.JTI)
		}
		got[typ] = claims
	}
	if got[auth.TokenAccess].JTI == got[auth.TokenRefresh].JTI {
		t.Errorf("access and refresh share JTI %q; revoking one would revoke both", got[auth.TokenAccess].JTI)
	}
	want := map[string]*auth.Claims{
		auth.TokenAccess:  {UserID: 42, TokenType: auth.TokenAccess, IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(time.Hour)},
		auth.TokenRefresh: {UserID: 42, TokenType: auth.TokenRefresh, IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(7 * 24 * time.Hour)},
	}
	// Random ids; a new login's family is its refresh token's jti
	// (family_test.go).
	ignoreJTI := cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".JTI" || p.Last().String() == ".Family"
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignoreJTI); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
}

func TestIssueAccess_IsAnAccessToken(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	access, err := tokens.IssueAccess(7)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	claims, err := tokens.Parse(access, auth.TokenAccess)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if claims.UserID != 7 || claims.TokenType != auth.TokenAccess {
		t.Errorf("Parse = user %d type %q, want user 7 type access", claims.UserID, claims.TokenType)
	}
}

// The original backend and its clients decode our tokens, so the bytes on the
// wire must be simplejwt's: same header, same keys in the same order, and
// user_id as a string.
func TestIssueAccess_WireFormat(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	now := time.Unix(1795655308, 0)
	tokens.Now = func() time.Time { return now }
	access, err := tokens.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3: %q", len(parts), access)
	}
	header, payload := mustDecodeSegment(t, parts[0]), mustDecodeSegment(t, parts[1])
	if want := `{"alg":"HS256","typ":"JWT"}`; header != want {
		t.Errorf("header = %s, want %s", header, want)
	}
	claims, err := tokens.Parse(access, auth.TokenAccess)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":"42"}`,
		now.Add(time.Hour).Unix(), now.Unix(), claims.JTI)
	if payload != want {
		t.Errorf("payload = %s, want %s", payload, want)
	}
}

func TestParse_WrongType(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	access, refresh, err := tokens.IssuePair(42)
	if err != nil {
		t.Fatalf("IssuePair: %v", err)
	}
	for _, tc := range []struct {
		name, token, want string
	}{
		{"refresh used as access", refresh, auth.TokenAccess},
		{"access used as refresh", access, auth.TokenRefresh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := tokens.Parse(tc.token, tc.want)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", claims)
			}
			assertUnauthorized(t, err, "Token has wrong type")
		})
	}
}

func TestParse_RejectsBadTokens(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	access, err := tokens.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	parts := strings.Split(access, ".")

	past := auth.NewTokens(testSecret)
	past.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := past.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess with a past clock: %v", err)
	}
	otherKey, err := auth.NewTokens([]byte("another-secret")).IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess with another secret: %v", err)
	}

	valid := func() jwt.MapClaims {
		return jwt.MapClaims{
			"token_type": "access",
			"exp":        time.Now().Add(time.Hour).Unix(),
			"iat":        time.Now().Unix(),
			"jti":        "0123456789abcdef0123456789abcdef",
			"user_id":    "42",
		}
	}
	with := func(key string, value any) jwt.MapClaims {
		c := valid()
		if value == nil {
			delete(c, key)
		} else {
			c[key] = value
		}
		return c
	}
	algNone, err := jwt.NewWithClaims(jwt.SigningMethodNone, valid()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatalf("sign alg=none token: %v", err)
	}

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not.a.jwt"},
		{"two segments", parts[0] + "." + parts[1]},
		{"tampered payload", parts[0] + "." + segment(`{"token_type":"access","exp":4949255308,"iat":1795655308,"jti":"0123456789abcdef0123456789abcdef","user_id":"1"}`) + "." + parts[2]},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flipFirst(parts[2])},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"alg none", algNone},
		{"alg none header on our payload", segment(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."},
		{"HS512 with our secret", sign(t, jwt.SigningMethodHS512, valid())},
		{"signed with another secret", otherKey},
		{"expired by our own clock", expired},
		{"no exp", sign(t, jwt.SigningMethodHS256, with("exp", nil))},
		{"no iat", sign(t, jwt.SigningMethodHS256, with("iat", nil))},
		{"no jti", sign(t, jwt.SigningMethodHS256, with("jti", nil))},
		{"no user_id", sign(t, jwt.SigningMethodHS256, with("user_id", nil))},
		{"user_id fractional", sign(t, jwt.SigningMethodHS256, with("user_id", 42.5))},
		{"user_id not a number", sign(t, jwt.SigningMethodHS256, with("user_id", "abc"))},
		{"user_id zero", sign(t, jwt.SigningMethodHS256, with("user_id", "0"))},
		{"user_id negative", sign(t, jwt.SigningMethodHS256, with("user_id", -3))},
		{"user_id overflows int64", sign(t, jwt.SigningMethodHS256, with("user_id", "99999999999999999999"))},
		{"no token_type", sign(t, jwt.SigningMethodHS256, with("token_type", nil))},
		{"sliding token_type", sign(t, jwt.SigningMethodHS256, with("token_type", "sliding"))},
		{"oversized", parts[0] + "." + segment(`{"pad":"`+strings.Repeat("a", 5000)+`"}`) + "." + parts[2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := tokens.Parse(tc.token, auth.TokenAccess)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", claims)
			}
			assertUnauthorized(t, err, "Token is invalid or expired")
		})
	}
}

// A correctly signed token carrying user_id as a JSON number (simplejwt
// before 5.3) and one carrying it as a string (5.5, and us) name the same user.
func TestParse_UserIDNumberOrString(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	for _, id := range []any{42, "42"} {
		token := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{
			"token_type": "access",
			"exp":        time.Now().Add(time.Hour).Unix(),
			"iat":        time.Now().Unix(),
			"jti":        "0123456789abcdef0123456789abcdef",
			"user_id":    id,
		})
		claims, err := tokens.Parse(token, auth.TokenAccess)
		if err != nil {
			t.Fatalf("Parse(user_id %#v): %v", id, err)
		}
		if claims.UserID != 42 {
			t.Errorf("Parse(user_id %#v).UserID = %d, want 42", id, claims.UserID)
		}
	}
}

// The same clock that stamps tokens decides expiry, so a token is refused
// once Now passes exp, and a skew of a few seconds between workers is not.
func TestParse_ExpiryFollowsClock(t *testing.T) {
	start := time.Now()
	tokens := auth.NewTokens(testSecret)
	tokens.Now = func() time.Time { return start }
	access, err := tokens.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	for _, tc := range []struct {
		name  string
		at    time.Time
		valid bool
	}{
		{"just issued", start, true},
		{"a second before exp", start.Add(time.Hour - time.Second), true},
		{"a few seconds after exp, within leeway", start.Add(time.Hour + 5*time.Second), true},
		{"a minute after exp", start.Add(time.Hour + time.Minute), false},
		{"a day later", start.Add(24 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokens.Now = func() time.Time { return tc.at }
			_, err := tokens.Parse(access, auth.TokenAccess)
			if tc.valid && err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tc.valid {
				if err == nil {
					t.Fatal("Parse accepted an expired token")
				}
				assertUnauthorized(t, err, "Token is invalid or expired")
			}
		})
	}
}

func TestTokens_EmptySecret(t *testing.T) {
	tokens := auth.NewTokens(nil)
	if _, _, err := tokens.IssuePair(42); err == nil {
		t.Error("IssuePair with an empty secret succeeded; anyone could forge its tokens")
	}
	// A token HMAC'd with an empty key must not pass an unconfigured server.
	forged := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": "access", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
		"jti": "0123456789abcdef0123456789abcdef", "user_id": "1",
	}, []byte{})
	if _, err := tokens.Parse(forged, auth.TokenAccess); err == nil {
		t.Error("Parse with an empty secret accepted a token")
	}
}

func TestParse_UnknownWantedTypeIsABug(t *testing.T) {
	tokens := auth.NewTokens(testSecret)
	access, err := tokens.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	_, err = tokens.Parse(access, "")
	if got := numeneon.ErrorCode(err); got != numeneon.EINTERNAL {
		t.Errorf("Parse(wantType \"\") code = %q (%v), want %q", got, err, numeneon.EINTERNAL)
	}
}

func BenchmarkParse(b *testing.B) {
	tokens := auth.NewTokens(testSecret)
	access, err := tokens.IssueAccess(42)
	if err != nil {
		b.Fatalf("IssueAccess: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Parse(access, auth.TokenAccess); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssuePair(b *testing.B) {
	tokens := auth.NewTokens(testSecret)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tokens.IssuePair(42); err != nil {
			b.Fatal(err)
		}
	}
}

// sign signs claims with method and testSecret, or with key when given.
func sign(tb testing.TB, method jwt.SigningMethod, claims jwt.MapClaims, key ...[]byte) string {
	tb.Helper()
	k := testSecret
	if len(key) > 0 {
		k = key[0]
	}
	s, err := jwt.NewWithClaims(method, claims).SignedString(k)
	if err != nil {
		tb.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

func segment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustDecodeSegment(tb testing.TB, s string) string {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatalf("decode segment %q: %v", s, err)
	}
	return string(b)
}

// flipFirst changes the first character of a base64url segment, so the
// decoded signature differs.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestVerifiedAccessTokenStillExpires(t *testing.T) {
	now := time.Now()
	tokens := auth.NewTokens(testSecret)
	tokens.Now = func() time.Time { return now }
	access, err := tokens.IssueAccess(42)
	if err != nil {
		t.Fatalf("IssueAccess: %v", err)
	}
	for range 2 { // the second parse is answered from what the first verified
		c, err := tokens.Parse(access, auth.TokenAccess)
		if err != nil || c.UserID != 42 {
			t.Fatalf("Parse = %+v, %v; want user 42", c, err)
		}
		c.UserID = 7 // a caller changing its copy changes nothing for the next
	}
	if _, err := tokens.Parse(access, auth.TokenRefresh); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
		t.Errorf("access token parsed as a refresh token: %v, want EUNAUTHORIZED", err)
	}
	tampered := access[:len(access)-2] + "AA"
	if tampered != access {
		if _, err := tokens.Parse(tampered, auth.TokenAccess); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
			t.Errorf("tampered token: %v, want EUNAUTHORIZED", err)
		}
	}
	now = now.Add(tokens.AccessTTL + time.Minute) // past expiry and leeway
	if _, err := tokens.Parse(access, auth.TokenAccess); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
		t.Errorf("expired token after a verified parse: %v, want EUNAUTHORIZED", err)
	}
}
