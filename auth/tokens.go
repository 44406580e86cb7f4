package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/numeneon/numeneon"
)

// Token types, as simplejwt writes them in the token_type claim.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Client-safe messages; they are the texts simplejwt answers with, so the
// existing client sees what it always saw.
const (
	msgInvalidToken = "Token is invalid or expired"
	msgWrongType    = "Token has wrong type"
)

const (
	// leeway absorbs clock skew between workers; simplejwt's default is 0,
	// so we accept slightly more than the original, never less.
	leeway = 30 * time.Second

	// maxTokenLen bounds the work spent on a hostile Authorization header or
	// ?token= value. Our tokens are about 250 bytes.
	maxTokenLen = 4096
)

// Tokens mints and verifies HS256 JWTs compatible with
// djangorestframework-simplejwt. A *Tokens is safe for concurrent use once
// its fields are set; do not change them while it is in use.
type Tokens struct {
	AccessTTL  time.Duration // 1 hour by NewTokens
	RefreshTTL time.Duration // 7 days by NewTokens

	// Now is the clock used both to stamp iat/exp and to check exp. Tests
	// replace it to mint tokens in the past; nil means time.Now.
	Now func() time.Time

	secret   []byte
	verified verifiedCache
}

// NewTokens returns Tokens signing with secret (Django's SECRET_KEY when
// migrating, so existing sessions survive). The secret is copied.
func NewTokens(secret []byte) *Tokens {
	return &Tokens{
		AccessTTL:  time.Hour,
		RefreshTTL: 7 * 24 * time.Hour,
		secret:     bytes.Clone(secret),
	}
}

// Claims are the verified contents of a token.
type Claims struct {
	UserID    int64
	TokenType string // TokenAccess or TokenRefresh
	JTI       string // 32 hex characters; the refresh blacklist keys on it
	// Family names the login a refresh token descends from: the jti of the
	// login's first refresh token, carried by every token rotated from it,
	// so that signing out can end them all. A token without the claim (one
	// minted by the original backend, or an access token) is its own
	// family: Family is its JTI.
	Family    string
	IssuedAt  time.Time // whole seconds, as the token carries it
	ExpiresAt time.Time
}

// PairOptions says how IssuePairWith continues a session. The zero value
// starts a new login, issued now.
type PairOptions struct {
	// Family is the family the new refresh token joins (the Claims.Family
	// of the token being rotated); "" starts a new family.
	Family string
	// NotBefore is the earliest iat the tokens may carry. iat has whole
	// seconds, so a session ended at 12:00:00.4 must refuse tokens with
	// iat 12:00:00; tokens issued for the same user right after it are
	// stamped 12:00:01 instead of the current second, and pass.
	NotBefore time.Time
}

// IssuePair returns a new access token and a new refresh token for userID,
// each with its own jti, starting a new refresh family. It fails only when
// the secret is empty or the system's random source fails.
func (t *Tokens) IssuePair(userID int64) (access, refresh string, err error) {
	return t.IssuePairWith(userID, PairOptions{})
}

// IssuePairWith is IssuePair continuing a session as opts say.
func (t *Tokens) IssuePairWith(userID int64, opts PairOptions) (access, refresh string, err error) {
	if access, err = t.issue(userID, TokenAccess, t.AccessTTL, "", opts.NotBefore); err != nil {
		return "", "", err
	}
	if refresh, err = t.issue(userID, TokenRefresh, t.RefreshTTL, opts.Family, opts.NotBefore); err != nil {
		return "", "", err
	}
	return access, refresh, nil
}

// IssueAccess returns a new access token for userID.
func (t *Tokens) IssueAccess(userID int64) (string, error) {
	return t.issue(userID, TokenAccess, t.AccessTTL, "", time.Time{})
}

// issue signs one token. A refresh token always carries its family: the
// given one, or its own jti when it starts one.
func (t *Tokens) issue(userID int64, tokenType string, ttl time.Duration, family string, notBefore time.Time) (string, error) {
	if len(t.secret) == 0 {
		return "", fmt.Errorf("issue %s token: signing secret is empty", tokenType)
	}
	jti, err := newJTI()
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", tokenType, err)
	}
	now := t.now()
	if now.Before(notBefore) {
		now = notBefore
	}
	if tokenType == TokenRefresh && family == "" {
		family = jti
	} else if tokenType == TokenAccess {
		family = ""
	}
	claims := wireClaims{
		TokenType: tokenType,
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		IssuedAt:  jwt.NewNumericDate(now),
		JTI:       jti,
		UserID:    wireUserID(userID),
		Family:    family,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign %s token: %w", tokenType, err)
	}
	return signed, nil
}

// Parse verifies token and returns its claims when the signature is a valid
// HS256 signature by our secret, exp is present and not past, and token_type
// equals wantType (TokenAccess or TokenRefresh).
//
// A token that fails any check returns a *numeneon.Error with code
// EUNAUTHORIZED and a client-safe message: "Token has wrong type" when only
// the type differs, "Token is invalid or expired" otherwise; the cause is
// wrapped for the log. Passing any other wantType is a programming error and
// returns a plain (internal) error.
func (t *Tokens) Parse(token, wantType string) (*Claims, error) {
	if wantType != TokenAccess && wantType != TokenRefresh {
		return nil, fmt.Errorf("parse token: unknown wanted token type %q", wantType)
	}
	if len(t.secret) == 0 {
		return nil, invalidToken(errors.New("signing secret is empty"))
	}
	if len(token) > maxTokenLen {
		return nil, invalidToken(fmt.Errorf("token is %d bytes, over %d", len(token), maxTokenLen))
	}

	if wantType == TokenAccess {
		if c := t.verified.get(token); c != nil && t.now().Before(AcceptedUntil(c)) {
			cl := *c
			return &cl, nil
		}
	}

	var wc wireClaims
	parser := jwt.NewParser(
		// Pinning the method is what defeats "alg":"none" and RS/HS
		// key-confusion tokens; simplejwt pins its ALGORITHM the same way.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(t.now),
	)
	if _, err := parser.ParseWithClaims(token, &wc, func(*jwt.Token) (any, error) {
		return t.secret, nil
	}); err != nil {
		return nil, invalidToken(err)
	}

	// simplejwt refuses a token without jti or token_type; a user_id that is
	// missing or not a positive integer cannot name one of our users.
	switch {
	case wc.JTI == "":
		return nil, invalidToken(errors.New("token has no jti"))
	case wc.UserID <= 0:
		return nil, invalidToken(errors.New("token has no valid user_id"))
	case wc.IssuedAt == nil:
		return nil, invalidToken(errors.New("token has no iat"))
	case wc.TokenType != TokenAccess && wc.TokenType != TokenRefresh:
		return nil, invalidToken(fmt.Errorf("token has unknown token_type %q", wc.TokenType))
	case wc.TokenType != wantType:
		return nil, fmt.Errorf("parse token: got %s token, want %s: %w",
			wc.TokenType, wantType, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgWrongType))
	}
	c := &Claims{
		UserID:    int64(wc.UserID),
		TokenType: wc.TokenType,
		JTI:       wc.JTI,
		Family:    wc.Family,
		IssuedAt:  wc.IssuedAt.Time,
		ExpiresAt: wc.ExpiresAt.Time,
	}
	if c.Family == "" {
		c.Family = c.JTI
	}
	if c.TokenType == TokenAccess {
		cl := *c
		t.verified.put(token, &cl)
	}
	return c, nil
}

// AcceptedUntil returns the last moment Parse accepts a token with these
// claims: its expiry plus the leeway for clock skew. A record that a token
// was used up must be kept at least that long, or the token could be
// replayed once the record is gone.
func AcceptedUntil(c *Claims) time.Time {
	return c.ExpiresAt.Add(leeway)
}

// RefreshAcceptedUntil returns the last moment Parse accepts any refresh
// token issued until now: a revoked family must stay on record that long.
// The extra second covers a token stamped at the next second (NotBefore).
func (t *Tokens) RefreshAcceptedUntil() time.Time {
	return t.now().Add(t.RefreshTTL + time.Second + leeway)
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// invalidToken keeps the cause for the log while the client sees only the
// generic message, so a probe cannot tell a bad signature from an expiry.
func invalidToken(cause error) error {
	return fmt.Errorf("parse token: %w: %w", cause, numeneon.Errorf(numeneon.EUNAUTHORIZED, msgInvalidToken))
}

// newJTI returns a random UUID version 4 as 32 hex characters, the form
// simplejwt writes (uuid4().hex).
func newJTI() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("read random jti: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return hex.EncodeToString(u[:]), nil
}

// wireClaims is the payload exactly as simplejwt writes it; encoding/json
// keeps declaration order, so the key order matches too.
type wireClaims struct {
	TokenType string           `json:"token_type"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	JTI       string           `json:"jti"`
	UserID    wireUserID       `json:"user_id"`
	// Family is ours (Claims.Family), on refresh tokens only. simplejwt
	// ignores claims it does not know, so the original backend still reads
	// our tokens.
	Family string `json:"family,omitempty"`
}

var _ jwt.Claims = wireClaims{}

func (c wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c wireClaims) GetIssuer() (string, error)                   { return "", nil }
func (c wireClaims) GetSubject() (string, error)                  { return "", nil }
func (c wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// wireUserID is written as a JSON string, as simplejwt 5.5 does, and read
// from either a string or a number, because simplejwt before 5.3 wrote the
// database id as it was (a number) and such tokens may still be alive.
type wireUserID int64

func (id wireUserID) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(id), 10))
}

func (id *wireUserID) UnmarshalJSON(data []byte) error {
	text := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &text); err != nil {
			return fmt.Errorf("decode user_id: %w", err)
		}
	}
	// ParseInt refuses fractions, exponents and signs that a JSON number or a
	// sloppy string could carry, so 42.5 or "4e1" never becomes a user.
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("decode user_id %s: %w", data, err)
	}
	*id = wireUserID(n)
	return nil
}
