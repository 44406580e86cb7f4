package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
)

// findStudioSQL reads a user's studio, or the empty one (NULLs, turned
// into ""), or nothing for an unknown user.
const findStudioSQL = `SELECT u.id, coalesce(s.avatar, ''), coalesce(s.song_title, ''), coalesce(s.song_artist, ''),
	coalesce(s.song_external_id, ''), coalesce(s.song_preview_url, ''), coalesce(s.song_album_art, ''),
	coalesce(s.auto_play, 0), coalesce(s.mood, ''), coalesce(s.custom_bio, ''), coalesce(s.theme, ''),
	coalesce(s.wallpaper, ''), coalesce(s.slider_style, ''), s.updated_at
	FROM users u LEFT JOIN studios s ON s.user_id = u.id WHERE u.id = ?`

const listSongsSQL = `SELECT id, user_id, title, artist, duration_ms, external_id, preview_url, album_art, position, created_at
	FROM studio_songs WHERE user_id = ? ORDER BY position, id`

func findStudio(ctx context.Context, q queryer, userID int64) (*numeneon.Studio, error) {
	st := &numeneon.Studio{}
	var updated sql.NullString
	err := q.QueryRowContext(ctx, findStudioSQL, userID).Scan(&st.UserID, &st.Avatar, &st.SongTitle, &st.SongArtist,
		&st.SongExternalID, &st.SongPreviewURL, &st.SongAlbumArt, &st.AutoPlay, &st.Mood, &st.CustomBio,
		&st.Theme, &st.Wallpaper, &st.SliderStyle, &updated)
	if err != nil {
		return nil, fmt.Errorf("find studio of user %d: %w", userID, notFound(err, "user"))
	}
	if updated.Valid {
		if err := (timeColumn{&st.UpdatedAt}).Scan(updated.String); err != nil {
			return nil, fmt.Errorf("find studio of user %d: %w", userID, err)
		}
	}
	rows, err := q.QueryContext(ctx, listSongsSQL, userID)
	if err != nil {
		return nil, fmt.Errorf("list playlist of user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	for rows.Next() {
		s := &numeneon.Song{}
		if err := rows.Scan(&s.ID, &s.UserID, &s.Title, &s.Artist, &s.DurationMS, &s.ExternalID,
			&s.PreviewURL, &s.AlbumArt, &s.Position, timeColumn{&s.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list playlist of user %d: %w", userID, err)
		}
		st.Playlist = append(st.Playlist, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list playlist of user %d: %w", userID, dbError(err))
	}
	return st, nil
}

// FindStudio implements numeneon.StudioStore.
func (s *Store) FindStudio(ctx context.Context, userID int64) (*numeneon.Studio, error) {
	return findStudio(ctx, s.rq, userID)
}

// FindStudio implements numeneon.StudioTx.
func (tx *Tx) FindStudio(ctx context.Context, userID int64) (*numeneon.Studio, error) {
	return findStudio(ctx, tx.q, userID)
}

// LockStudio implements numeneon.StudioTx. Update's BEGIN IMMEDIATE
// already excludes every other writer; the row is created so that the
// studio exists from now on, as on PostgreSQL.
func (tx *Tx) LockStudio(ctx context.Context, userID int64) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO studios (user_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		userID, formatTime(now()))
	if err != nil {
		return fmt.Errorf("lock studio of user %d: %w", userID, dbError(err))
	}
	return nil
}

// UpdateStudio implements numeneon.StudioTx: the row is created if
// missing, then one UPDATE in which a NULL parameter keeps the column.
func (tx *Tx) UpdateStudio(ctx context.Context, userID int64, upd numeneon.StudioUpdate, at time.Time) error {
	var autoPlay sql.NullBool
	if upd.AutoPlay != nil {
		autoPlay = sql.NullBool{Bool: *upd.AutoPlay, Valid: true}
	}
	if err := tx.LockStudio(ctx, userID); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE studios SET
			avatar = coalesce(@avatar, avatar), song_title = coalesce(@title, song_title),
			song_artist = coalesce(@artist, song_artist), song_external_id = coalesce(@external, song_external_id),
			song_preview_url = coalesce(@preview, song_preview_url), song_album_art = coalesce(@art, song_album_art),
			auto_play = coalesce(@auto, auto_play), mood = coalesce(@mood, mood),
			custom_bio = coalesce(@bio, custom_bio), theme = coalesce(@theme, theme),
			wallpaper = coalesce(@wallpaper, wallpaper), slider_style = coalesce(@slider, slider_style),
			updated_at = @at
		WHERE user_id = @user`,
		sql.Named("user", userID), sql.Named("at", formatTime(at)),
		sql.Named("avatar", upd.Avatar), sql.Named("title", upd.SongTitle), sql.Named("artist", upd.SongArtist),
		sql.Named("external", upd.SongExternalID), sql.Named("preview", upd.SongPreviewURL),
		sql.Named("art", upd.SongAlbumArt), sql.Named("auto", autoPlay), sql.Named("mood", upd.Mood),
		sql.Named("bio", upd.CustomBio), sql.Named("theme", upd.Theme), sql.Named("wallpaper", upd.Wallpaper),
		sql.Named("slider", upd.SliderStyle))
	if err != nil {
		return fmt.Errorf("update studio of user %d: %w", userID, dbError(err))
	}
	return nil
}

// AddSong implements numeneon.StudioTx.
func (tx *Tx) AddSong(ctx context.Context, song *numeneon.Song) error {
	err := tx.q.QueryRowContext(ctx, `INSERT INTO studio_songs
		(user_id, title, artist, duration_ms, external_id, preview_url, album_art, position, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT count(*) FROM studio_songs WHERE user_id = ?1), ?8)
		RETURNING id, position`,
		song.UserID, song.Title, song.Artist, song.DurationMS, song.ExternalID, song.PreviewURL, song.AlbumArt,
		formatTime(song.CreatedAt)).Scan(&song.ID, &song.Position)
	if err != nil {
		return fmt.Errorf("add song to the playlist of user %d: %w", song.UserID, songError(err))
	}
	return nil
}

// songError names the song in a conflict: the only unique key of a song
// is its track within the playlist.
func songError(err error) error {
	err = dbError(err)
	if numeneon.ErrorCode(err) == numeneon.ECONFLICT {
		return numeneon.Errorf(numeneon.ECONFLICT, "song already in the playlist")
	}
	return err
}

// DeleteSong implements numeneon.StudioTx.
func (tx *Tx) DeleteSong(ctx context.Context, userID, songID int64) error {
	var pos int
	err := tx.q.QueryRowContext(ctx, `DELETE FROM studio_songs WHERE id = ? AND user_id = ? RETURNING position`,
		songID, userID).Scan(&pos)
	if err != nil {
		return fmt.Errorf("delete song %d of user %d: %w", songID, userID, notFound(err, "song"))
	}
	if _, err := tx.q.ExecContext(ctx, `UPDATE studio_songs SET position = position - 1 WHERE user_id = ? AND position > ?`,
		userID, pos); err != nil {
		return fmt.Errorf("renumber the playlist of user %d: %w", userID, dbError(err))
	}
	return nil
}

// SetSongPositions implements numeneon.StudioTx with one statement: the ids
// travel as a JSON array, whose index is the new position.
func (tx *Tx) SetSongPositions(ctx context.Context, userID int64, songIDs []int64) error {
	ids, err := json.Marshal(songIDs)
	if err != nil {
		return fmt.Errorf("reorder the playlist of user %d: %w", userID, err)
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE studio_songs
		SET position = (SELECT j.key FROM json_each(?1) j WHERE j.value = studio_songs.id)
		WHERE user_id = ?2 AND id IN (SELECT value FROM json_each(?1))`, string(ids), userID)
	if err != nil {
		return fmt.Errorf("reorder the playlist of user %d: %w", userID, dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("reorder the playlist of user %d: %w", userID, err)
	}
	if int(n) != len(songIDs) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "song not found")
	}
	return nil
}
