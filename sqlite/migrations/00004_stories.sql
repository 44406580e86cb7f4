-- Stories, their views and reactions.
--
-- A story expires 24 hours after it is posted (expires_at). Lists filter on
-- it; the cleanup job later deletes an expired story's views and reactions,
-- and the story itself unless a message replies to it: such a row stays, so
-- the message can still show the story (as expired), and is marked purged so
-- the job does not visit it again.

-- +goose Up
CREATE TABLE stories (
    id         TEXT    NOT NULL PRIMARY KEY, -- a UUID, canonical lower-case form
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    media_type TEXT    NOT NULL,
    media_url  TEXT    NOT NULL,
    caption    TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    purged     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- A feed reads each friend's unexpired stories: one range per friend.
CREATE INDEX stories_user ON stories (user_id, expires_at);
-- The cleanup job's queue: expired stories not cleaned yet.
CREATE INDEX stories_unpurged ON stories (expires_at) WHERE purged = 0;

-- One view per viewer; the owner's own views are not recorded.
CREATE TABLE story_views (
    story_id   TEXT    NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    viewer_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (story_id, viewer_id)
) WITHOUT ROWID;

-- One reaction per user and story; reacting again replaces its type.
CREATE TABLE story_reactions (
    story_id      TEXT    NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reaction_type TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (story_id, user_id)
) WITHOUT ROWID;

-- The cleanup job asks whether a message replies to a story. Partial, so
-- the messages that reply to nothing (nearly all) cost the hot insert nothing.
CREATE INDEX messages_story ON messages (story_id) WHERE story_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_story;
DROP TABLE story_reactions;
DROP TABLE story_views;
DROP TABLE stories;
