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
