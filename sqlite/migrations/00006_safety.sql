-- Blocks, reports, and the account changes every serving process watches.
--
-- A block is one-way in the table (who blocked whom, for the blocker's
-- list) and two-way in effect (the app refuses interaction either way).
-- user_changes is a short log (an hour) of account changes that serving
-- processes poll, so a change made by another process or by the operator's
-- command reaches every process's user cache within a second.

-- +goose Up
CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    reporter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id  INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    reason      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);

CREATE TABLE user_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    changed_at TEXT    NOT NULL
);

-- +goose Down
DROP TABLE user_changes;
DROP TABLE reports;
DROP TABLE blocks;
