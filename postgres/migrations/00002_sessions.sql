-- Sessions that can end: signing out everywhere and changing the password
-- refuse every token issued before that moment, and signing out ends a
-- refresh token together with every token rotated from it (its family).

-- +goose Up
-- The instant before which the user's tokens are refused (their iat is
-- older); NULL when the user never ended their sessions. A nullable column
-- without a default is added without rewriting the table.
ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;

CREATE TABLE revoked_token_families (
    family     text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_token_families_expires_idx ON revoked_token_families (expires_at);

-- +goose Down
DROP TABLE revoked_token_families;
ALTER TABLE users DROP COLUMN tokens_valid_after;
