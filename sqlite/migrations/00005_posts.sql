-- Posts, comments, @replies, wall posts, likes and shares; and the index
-- the notification retention prunes by.
--
-- A comment is a post with a parent; an @reply is a comment that also names
-- the comment it answers (reply_to_comment_id) and the user it mentions.
-- Counts are not stored: they are computed from these rows when a post is
-- read (each an index range), so they are exact whatever runs concurrently.

-- +goose Up
CREATE TABLE posts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                TEXT    NOT NULL,
    content             TEXT    NOT NULL DEFAULT '',
    media_url           TEXT,
    parent_id           INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    target_profile_id   INTEGER REFERENCES users (id) ON DELETE CASCADE,
    reply_to_comment_id INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    mentioned_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
-- The feed and a profile read each author's top-level posts newest first.
CREATE INDEX posts_author ON posts (author_id, id) WHERE parent_id IS NULL;
-- A profile also reads the posts on its wall.
CREATE INDEX posts_wall ON posts (target_profile_id, id) WHERE target_profile_id IS NOT NULL AND parent_id IS NULL;
-- Comments of a post, and its comment count.
CREATE INDEX posts_parent ON posts (parent_id, id) WHERE parent_id IS NOT NULL;
-- Replies to a comment (its reply count, and SET NULL on delete).
CREATE INDEX posts_reply_to ON posts (reply_to_comment_id) WHERE reply_to_comment_id IS NOT NULL;
CREATE INDEX posts_mentioned ON posts (mentioned_user_id) WHERE mentioned_user_id IS NOT NULL;

-- One like per user and post.
CREATE TABLE post_likes (
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;
CREATE INDEX post_likes_user ON post_likes (user_id);

-- A share is counted each time; a row per share keeps the count exact.
CREATE TABLE post_shares (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL
);
CREATE INDEX post_shares_post ON post_shares (post_id);
CREATE INDEX post_shares_user ON post_shares (user_id);

-- NOTIFICATION_RETENTION deletes notifications by age, oldest first.
CREATE INDEX notifications_created ON notifications (created_at);

-- +goose Down
DROP INDEX notifications_created;
DROP TABLE post_shares;
DROP TABLE post_likes;
DROP TABLE posts;
