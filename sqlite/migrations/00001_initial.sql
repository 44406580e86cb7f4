-- The first schema of NUMENEON on SQLite.
--
-- Timestamps are TEXT in the fixed-width form 2006-01-02T15:04:05.000000Z
-- (UTC, microseconds): they sort as strings in time order and round-trip
-- exactly, and stay readable in the sqlite3 shell.

-- +goose Up
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    username             TEXT    NOT NULL UNIQUE,
    email                TEXT    NOT NULL,
    -- Lower-cased in Go (Unicode-aware, unlike SQLite's lower()), so that
    -- emails are unique and found case-insensitively.
    email_lower          TEXT    NOT NULL UNIQUE,
    first_name           TEXT    NOT NULL DEFAULT '',
    last_name            TEXT    NOT NULL DEFAULT '',
    password_hash        TEXT    NOT NULL DEFAULT '',
    is_active            INTEGER NOT NULL DEFAULT 1,
    date_joined          TEXT    NOT NULL,
    -- The per-user notification counter: incremented in the transaction
    -- that inserts the notification, so ids are gap-free and in commit order.
    last_notification_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE profiles (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    bio        TEXT    NOT NULL DEFAULT '',
    avatar     TEXT,
    location   TEXT    NOT NULL DEFAULT '',
    website    TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

CREATE TABLE friend_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    from_user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    UNIQUE (from_user_id, to_user_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_user_id, id);

-- A friendship is stored in both directions, so "friends of X" is one index
-- range whichever side asked first.
CREATE TABLE friendships (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    friend_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content     TEXT    NOT NULL,
    is_read     INTEGER NOT NULL DEFAULT 0,
    story_id    TEXT,
    created_at  TEXT    NOT NULL
);
CREATE INDEX messages_sender ON messages (sender_id, receiver_id, id);
CREATE INDEX messages_receiver ON messages (receiver_id, sender_id, id);
CREATE INDEX messages_unread ON messages (receiver_id, sender_id) WHERE is_read = 0;

CREATE TABLE notifications (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, id)
) WITHOUT ROWID;

CREATE TABLE revoked_tokens (
    jti        TEXT NOT NULL PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

-- +goose Down
DROP TABLE revoked_tokens;
DROP TABLE notifications;
DROP TABLE messages;
DROP TABLE friendships;
DROP TABLE friend_requests;
DROP TABLE profiles;
DROP TABLE users;
