package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

func testTokens(t *testing.T, open Opener) {
	t.Run("RevokeOnce", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		exp := time.Now().Add(7 * 24 * time.Hour)
		revoke := func(jti string) error {
			return s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.RevokeToken(ctx, jti, exp) })
		}
		if err := revoke("8f14e45f-ceea-467f-a0e6-4d1b8e5c3a01"); err != nil {
			t.Fatalf("first RevokeToken: %v", err)
		}
		if err := revoke("c9f0f895-fb98-4b91-9b5c-0b6a3e5d7a02"); err != nil {
			t.Fatalf("RevokeToken of another jti: %v", err)
		}
		wantCode(t, revoke("8f14e45f-ceea-467f-a0e6-4d1b8e5c3a01"), numeneon.ECONFLICT, "RevokeToken twice")

		// A replay inside one transaction is caught too.
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			if err := tx.RevokeToken(ctx, "same-tx", exp); err != nil {
				return err
			}
			return tx.RevokeToken(ctx, "same-tx", exp)
		})
		wantCode(t, err, numeneon.ECONFLICT, "RevokeToken twice in one transaction")
		// ...and the failed transaction revoked nothing.
		if err := revoke("same-tx"); err != nil {
			t.Fatalf("RevokeToken after the rolled-back transaction: %v", err)
		}
	})
}

func testTokenFamilies(t *testing.T, open Opener) {
	t.Run("RevokedJTIAndFamily", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		exp := time.Now().Add(7 * 24 * time.Hour)
		revoked := func(jti, family string) bool {
			t.Helper()
			got, err := s.TokenRevoked(ctx, jti, family)
			if err != nil {
				t.Fatalf("TokenRevoked(%q, %q): %v", jti, family, err)
			}
			return got
		}
		if revoked("jti-a", "family-1") {
			t.Fatal("TokenRevoked before any revocation = true")
		}
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.RevokeToken(ctx, "jti-a", exp) })
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.RevokeTokenFamily(ctx, "family-2", exp) })
		for _, tc := range []struct {
			jti, family string
			want        bool
		}{
			{"jti-a", "family-1", true},  // the token itself is used up
			{"jti-b", "family-1", false}, // another token of a live family
			{"jti-c", "family-2", true},  // any token of a revoked family
			{"family-2", "family-3", false},
		} {
			if got := revoked(tc.jti, tc.family); got != tc.want {
				t.Errorf("TokenRevoked(%q, %q) = %v, want %v", tc.jti, tc.family, got, tc.want)
			}
		}
		// Revoking a family again (a second sign-out) is no error.
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.RevokeTokenFamily(ctx, "family-2", exp.Add(time.Hour))
		})
		if !revoked("jti-d", "family-2") {
			t.Error("family revoked twice is no longer revoked")
		}
	})

	t.Run("FamilyRevocationRollsBack", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			if err := tx.RevokeTokenFamily(ctx, "family-x", time.Now().Add(time.Hour)); err != nil {
				return err
			}
			return numeneon.Errorf(numeneon.EINVALID, "changed my mind")
		})
		wantCode(t, err, numeneon.EINVALID, "Update")
		if got, err := s.TokenRevoked(ctx, "jti", "family-x"); err != nil || got {
			t.Fatalf("TokenRevoked after a rolled-back revocation = %v, %v; want false", got, err)
		}
	})

	t.Run("ExpiredFamilyRevocationsArePurged", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.RevokeTokenFamily(ctx, "old-family", time.Now().Add(-time.Hour))
		})
		// A later revocation purges the expired one; a live one stays.
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.RevokeTokenFamily(ctx, "live-family", time.Now().Add(time.Hour))
		})
		if got, err := s.TokenRevoked(ctx, "jti", "old-family"); err != nil || got {
			t.Errorf("TokenRevoked(expired family) = %v, %v; want purged (false)", got, err)
		}
		if got, err := s.TokenRevoked(ctx, "jti", "live-family"); err != nil || !got {
			t.Errorf("TokenRevoked(live family) = %v, %v; want true", got, err)
		}
	})
}

func testTokensValidAfter(t *testing.T, open Opener) {
	t.Run("MovesOnlyForward", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		u := createUser(t, s, "alice")
		other := createUser(t, s, "bob")
		validAfter := func(id int64) time.Time {
			t.Helper()
			got, err := s.TokensValidAfter(ctx, id)
			if err != nil {
				t.Fatalf("TokensValidAfter(%d): %v", id, err)
			}
			return got
		}
		if got := validAfter(u.ID); !got.IsZero() {
			t.Fatalf("TokensValidAfter of a new user = %v, want the zero time", got)
		}
		// set stores at and checks what SetTokensValidAfter and then
		// TokensValidAfter report.
		set := func(at, want time.Time) {
			t.Helper()
			var stored time.Time
			update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
				stored, err = tx.SetTokensValidAfter(ctx, u.ID, at)
				return err
			})
			if !stored.Equal(want) {
				t.Fatalf("SetTokensValidAfter(%v) returned %v, want %v", at, stored, want)
			}
			if got := validAfter(u.ID); !got.Equal(want) {
				t.Fatalf("TokensValidAfter after setting %v = %v, want %v", at, got, want)
			}
		}
		first := time.Now().Add(time.Second).Truncate(time.Second).UTC()
		set(first, first)
		// An earlier instant (a slower process's clock) never reopens the
		// tokens the later one closed.
		set(first.Add(-time.Minute), first)
		later := first.Add(90 * time.Second)
		set(later, later)
		if got := validAfter(other.ID); !got.IsZero() {
			t.Errorf("another user's TokensValidAfter = %v, want untouched", got)
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		_, err := s.TokensValidAfter(ctx, 424242)
		wantCode(t, err, numeneon.ENOTFOUND, "TokensValidAfter(unknown user)")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.SetTokensValidAfter(ctx, 424242, time.Now())
			return err
		})
		wantCode(t, err, numeneon.ENOTFOUND, "SetTokensValidAfter(unknown user)")
	})
}
