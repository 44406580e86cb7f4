-- Studio pages, their playlists, and Web Push subscriptions.
--
-- A studio row exists once its user edits the page (or its playlist); a
-- user without one has the empty studio. Playlist positions run from 0
-- without gaps; the store renumbers on delete and reorder.

-- +goose Up
CREATE TABLE studios (
    user_id          INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    avatar           TEXT    NOT NULL DEFAULT '',
    song_title       TEXT    NOT NULL DEFAULT '',
    song_artist      TEXT    NOT NULL DEFAULT '',
    song_external_id TEXT    NOT NULL DEFAULT '',
    song_preview_url TEXT    NOT NULL DEFAULT '',
    song_album_art   TEXT    NOT NULL DEFAULT '',
    auto_play        INTEGER NOT NULL DEFAULT 0,
    mood             TEXT    NOT NULL DEFAULT '',
    custom_bio       TEXT    NOT NULL DEFAULT '',
    theme            TEXT    NOT NULL DEFAULT '',
    wallpaper        TEXT    NOT NULL DEFAULT '',
    slider_style     TEXT    NOT NULL DEFAULT '',
    updated_at       TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE studio_songs (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    artist      TEXT    NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    external_id TEXT    NOT NULL,
    preview_url TEXT    NOT NULL DEFAULT '',
    album_art   TEXT    NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    -- A playlist holds a track once.
    UNIQUE (user_id, external_id)
);

-- One row per browser or device; the endpoint is the push service's URL
-- for it, so it is unique across users.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT    NOT NULL UNIQUE,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, id);

-- +goose Down
DROP TABLE push_subscriptions;
DROP TABLE studio_songs;
DROP TABLE studios;
