package app

import (
	"fmt"
	"strings"
)

// RefreshRotation says what happens to a refresh token once it was used.
type RefreshRotation string

const (
	// RotationReuse (the default) keeps a used refresh token valid until it
	// expires, as the original backend did (simplejwt without its
	// blacklist app). The public client stores only the new access token
	// of a refresh, never the rotated refresh token, so it refreshes with
	// its first one for the whole week; revoking it would sign every user
	// out at the second access-token expiry.
	RotationReuse RefreshRotation = "reuse"
	// RotationStrict revokes a refresh token when it is used, and treats a
	// second use as theft: the token's whole family (its login and every
	// token rotated from it) is revoked. Only for clients that store the
	// rotated refresh token.
	RotationStrict RefreshRotation = "strict"
)

// Password length bounds. The public client lets people choose 6
// characters, so the minimum may go down to 6 but no lower.
const (
	DefaultPasswordMinLength = 8
	LowestPasswordMinLength  = 6
)

// AccountPolicy holds the account settings an operator chooses. The zero
// value is the default: RotationReuse, passwords of at least 8 characters.
type AccountPolicy struct {
	RefreshRotation   RefreshRotation // REFRESH_ROTATION; "" is RotationReuse
	PasswordMinLength int             // PASSWORD_MIN_LENGTH; 0 is DefaultPasswordMinLength
}

// ParseRefreshRotation reads a REFRESH_ROTATION value: "" or "reuse", or
// "strict" (any case).
func ParseRefreshRotation(s string) (RefreshRotation, error) {
	switch r := RefreshRotation(strings.ToLower(strings.TrimSpace(s))); r {
	case "", RotationReuse:
		return RotationReuse, nil
	case RotationStrict:
		return RotationStrict, nil
	default:
		return "", fmt.Errorf("refresh rotation %q: want reuse or strict", s)
	}
}

// Validate reports whether p is a policy SetAccountPolicy accepts.
func (p AccountPolicy) Validate() error {
	_, err := p.withDefaults()
	return err
}

// withDefaults fills the defaults of p and checks its values.
func (p AccountPolicy) withDefaults() (AccountPolicy, error) {
	rotation, err := ParseRefreshRotation(string(p.RefreshRotation))
	if err != nil {
		return p, err
	}
	p.RefreshRotation = rotation
	switch {
	case p.PasswordMinLength == 0:
		p.PasswordMinLength = DefaultPasswordMinLength
	case p.PasswordMinLength < LowestPasswordMinLength:
		return p, fmt.Errorf("password minimum length %d: want at least %d", p.PasswordMinLength, LowestPasswordMinLength)
	case p.PasswordMinLength > maxPasswordLen:
		return p, fmt.Errorf("password minimum length %d: want at most %d", p.PasswordMinLength, maxPasswordLen)
	}
	return p, nil
}

// SetAccountPolicy replaces the account settings. Call it before serving;
// a value out of range is an error and changes nothing.
func (s *Service) SetAccountPolicy(p AccountPolicy) error {
	p, err := p.withDefaults()
	if err != nil {
		return fmt.Errorf("account policy: %w", err)
	}
	s.policy = p
	return nil
}
