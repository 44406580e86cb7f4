-- Sessions that can end: signing out everywhere and changing the password
-- refuse every token issued before that moment, and signing out ends a
-- refresh token together with every token rotated from it (its family).

-- +goose Up
-- The instant before which the user's tokens are refused (their iat is
-- older); NULL when the user never ended their sessions.
ALTER TABLE users ADD COLUMN tokens_valid_after TEXT;

CREATE TABLE revoked_token_families (
    family     TEXT NOT NULL PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX revoked_token_families_expires ON revoked_token_families (expires_at);

-- +goose Down
DROP TABLE revoked_token_families;
ALTER TABLE users DROP COLUMN tokens_valid_after;
