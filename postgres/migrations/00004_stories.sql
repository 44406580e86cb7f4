-- Stories, their views and reactions.
--
-- A story expires 24 hours after it is posted (expires_at). Lists filter on
-- it; the cleanup job later deletes an expired story's views and reactions,
-- and the story itself unless a message replies to it: such a row stays, so
-- the message can still show the story (as expired), and is marked purged so
-- the job does not visit it again.
--
-- Ids are UUIDs kept as text, the type messages.story_id already has, so the
-- join from a message to its story compares like with like and uses the
-- primary key; the app writes only the canonical lower-case form.

-- +goose Up
CREATE TABLE stories (
    id         text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    media_type text        NOT NULL,
    media_url  text        NOT NULL,
    caption    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    purged     boolean     NOT NULL DEFAULT false
);
-- A feed reads each friend's unexpired stories: one range per friend.
CREATE INDEX stories_user_idx ON stories (user_id, expires_at);
-- The cleanup job's queue: expired stories not cleaned yet.
CREATE INDEX stories_unpurged_idx ON stories (expires_at) WHERE NOT purged;

-- One view per viewer; the owner's own views are not recorded.
CREATE TABLE story_views (
    story_id   text        NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    viewer_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (story_id, viewer_id)
);

-- One reaction per user and story; reacting again replaces its type.
CREATE TABLE story_reactions (
    story_id      text        NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reaction_type text        NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (story_id, user_id)
);

-- The cleanup job asks whether a message replies to a story. Partial, so
-- the messages that reply to nothing (nearly all) cost the hot insert nothing.
CREATE INDEX messages_story_idx ON messages (story_id) WHERE story_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_story_idx;
DROP TABLE story_reactions;
DROP TABLE story_views;
DROP TABLE stories;
