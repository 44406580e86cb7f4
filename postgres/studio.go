package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// findStudioSQL reads a user's studio, or the empty one (NULLs, turned
// into ""), or nothing for an unknown user.
const findStudioSQL = `SELECT u.id, COALESCE(s.avatar, ''), COALESCE(s.song_title, ''), COALESCE(s.song_artist, ''),
	COALESCE(s.song_external_id, ''), COALESCE(s.song_preview_url, ''), COALESCE(s.song_album_art, ''),
	COALESCE(s.auto_play, false), COALESCE(s.mood, ''), COALESCE(s.custom_bio, ''), COALESCE(s.theme, ''),
	COALESCE(s.wallpaper, ''), COALESCE(s.slider_style, ''), s.updated_at
	FROM users u LEFT JOIN studios s ON s.user_id = u.id WHERE u.id = $1`

const listSongsSQL = `SELECT id, user_id, title, artist, duration_ms, external_id, preview_url, album_art, position, created_at
	FROM studio_songs WHERE user_id = $1 ORDER BY position, id`

func findStudio(ctx context.Context, q querier, userID int64) (*numeneon.Studio, error) {
	op := fmt.Sprintf("find studio of user %d", userID)
	st := &numeneon.Studio{}
	var updated *time.Time
	err := q.QueryRow(ctx, findStudioSQL, userID).Scan(&st.UserID, &st.Avatar, &st.SongTitle, &st.SongArtist,
		&st.SongExternalID, &st.SongPreviewURL, &st.SongAlbumArt, &st.AutoPlay, &st.Mood, &st.CustomBio,
		&st.Theme, &st.Wallpaper, &st.SliderStyle, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	if err != nil {
		return nil, mapError(err, op)
	}
	if updated != nil {
		st.UpdatedAt = updated.UTC()
	}
	rows, err := q.Query(ctx, listSongsSQL, userID)
	if err != nil {
		return nil, mapError(err, op)
	}
	defer rows.Close()
	for rows.Next() {
		s := &numeneon.Song{}
		if err := rows.Scan(&s.ID, &s.UserID, &s.Title, &s.Artist, &s.DurationMS, &s.ExternalID,
			&s.PreviewURL, &s.AlbumArt, &s.Position, &s.CreatedAt); err != nil {
			return nil, mapError(err, op)
		}
		s.CreatedAt = s.CreatedAt.UTC()
		st.Playlist = append(st.Playlist, s)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, op)
	}
	return st, nil
}

// FindStudio implements numeneon.StudioStore.
func (s *Store) FindStudio(ctx context.Context, userID int64) (*numeneon.Studio, error) {
	return findStudio(ctx, s.pool, userID)
}

// FindStudio implements numeneon.StudioTx.
func (t *Tx) FindStudio(ctx context.Context, userID int64) (*numeneon.Studio, error) {
	return findStudio(ctx, t.tx, userID)
}

// LockStudio implements numeneon.StudioTx. The upsert's DO UPDATE takes the
// row lock whether the row was there or not; for an unknown user it
// inserts nothing, so the transaction stays usable.
func (t *Tx) LockStudio(ctx context.Context, userID int64) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO studios (user_id, updated_at)
		SELECT $1::bigint, now() WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
		ON CONFLICT (user_id) DO UPDATE SET updated_at = studios.updated_at
		RETURNING true`, userID).Scan(new(bool))
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return mapError(err, fmt.Sprintf("lock studio of user %d", userID))
}

// UpdateStudio implements numeneon.StudioTx: the row is locked (created if
// missing), then one UPDATE in which a NULL parameter keeps the column.
func (t *Tx) UpdateStudio(ctx context.Context, userID int64, upd numeneon.StudioUpdate, at time.Time) error {
	if err := t.LockStudio(ctx, userID); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `UPDATE studios SET
		avatar = COALESCE($2::text, avatar), song_title = COALESCE($3::text, song_title),
		song_artist = COALESCE($4::text, song_artist), song_external_id = COALESCE($5::text, song_external_id),
		song_preview_url = COALESCE($6::text, song_preview_url), song_album_art = COALESCE($7::text, song_album_art),
		auto_play = COALESCE($8::boolean, auto_play), mood = COALESCE($9::text, mood),
		custom_bio = COALESCE($10::text, custom_bio), theme = COALESCE($11::text, theme),
		wallpaper = COALESCE($12::text, wallpaper), slider_style = COALESCE($13::text, slider_style),
		updated_at = $14
		WHERE user_id = $1`,
		userID, upd.Avatar, upd.SongTitle, upd.SongArtist, upd.SongExternalID, upd.SongPreviewURL, upd.SongAlbumArt,
		upd.AutoPlay, upd.Mood, upd.CustomBio, upd.Theme, upd.Wallpaper, upd.SliderStyle, at)
	return mapError(err, fmt.Sprintf("update studio of user %d", userID))
}

// AddSong implements numeneon.StudioTx. A taken track or an unknown user
// makes the insert do nothing rather than fail; a second query tells which.
func (t *Tx) AddSong(ctx context.Context, song *numeneon.Song) error {
	op := fmt.Sprintf("add song to the playlist of user %d", song.UserID)
	err := t.tx.QueryRow(ctx, `INSERT INTO studio_songs
		(user_id, title, artist, duration_ms, external_id, preview_url, album_art, position, created_at)
		SELECT $1::bigint, $2::text, $3::text, $4::integer, $5::text, $6::text, $7::text,
			(SELECT count(*) FROM studio_songs WHERE user_id = $1), $8::timestamptz
		WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
		ON CONFLICT (user_id, external_id) DO NOTHING
		RETURNING id, position`,
		song.UserID, song.Title, song.Artist, song.DurationMS, song.ExternalID, song.PreviewURL, song.AlbumArt,
		song.CreatedAt).Scan(&song.ID, &song.Position)
	if !errors.Is(err, pgx.ErrNoRows) {
		return mapError(err, op)
	}
	var userExists bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, song.UserID).Scan(&userExists); err != nil {
		return mapError(err, op)
	}
	if !userExists {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return numeneon.Errorf(numeneon.ECONFLICT, "song already in the playlist")
}

// DeleteSong implements numeneon.StudioTx.
func (t *Tx) DeleteSong(ctx context.Context, userID, songID int64) error {
	op := fmt.Sprintf("delete song %d of user %d", songID, userID)
	var pos int
	err := t.tx.QueryRow(ctx, `DELETE FROM studio_songs WHERE id = $1 AND user_id = $2 RETURNING position`,
		songID, userID).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Song not found.")
	}
	if err != nil {
		return mapError(err, op)
	}
	_, err = t.tx.Exec(ctx, `UPDATE studio_songs SET position = position - 1 WHERE user_id = $1 AND position > $2`,
		userID, pos)
	return mapError(err, op)
}

// SetSongPositions implements numeneon.StudioTx with one statement: the
// ids' ordinality is the new position.
func (t *Tx) SetSongPositions(ctx context.Context, userID int64, songIDs []int64) error {
	tag, err := t.tx.Exec(ctx, `UPDATE studio_songs s SET position = o.ord - 1
		FROM unnest($2::bigint[]) WITH ORDINALITY AS o(id, ord)
		WHERE s.id = o.id AND s.user_id = $1`, userID, songIDs)
	if err != nil {
		return mapError(err, fmt.Sprintf("reorder the playlist of user %d", userID))
	}
	if int(tag.RowsAffected()) != len(songIDs) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Song not found.")
	}
	return nil
}
