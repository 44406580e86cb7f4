package api

import (
	"net/http"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// story is "Story". my_reaction is null when the viewer has none.
type story struct {
	ID           string   `json:"id"`
	User         userCard `json:"user"`
	MediaURL     string   `json:"media_url"`
	MediaType    string   `json:"media_type"`
	Caption      string   `json:"caption"`
	CreatedAt    string   `json:"created_at"`
	ExpiresAt    string   `json:"expires_at"`
	IsViewed     bool     `json:"is_viewed"`
	MyReaction   *string  `json:"my_reaction"`
	ViewCount    int      `json:"view_count"`
	HeartCount   int      `json:"heart_count"`
	ThunderCount int      `json:"thunder_count"`
}

func newStory(st *numeneon.Story) story {
	owner := st.User
	if owner == nil {
		owner = &numeneon.User{ID: st.UserID}
	}
	out := story{
		ID:           st.ID,
		User:         newUserCards([]*numeneon.User{owner}, false)[0],
		MediaURL:     st.MediaURL,
		MediaType:    st.MediaType,
		Caption:      st.Caption,
		CreatedAt:    app.FormatTime(st.CreatedAt),
		ExpiresAt:    app.FormatTime(st.ExpiresAt),
		IsViewed:     st.IsViewed,
		ViewCount:    st.ViewCount,
		HeartCount:   st.HeartCount,
		ThunderCount: st.ThunderCount,
	}
	if st.MyReaction != "" {
		r := st.MyReaction
		out.MyReaction = &r
	}
	return out
}

// storyList is the {stories: [...]} body of every story list.
func storyList(sts []*numeneon.Story) any {
	out := make([]story, len(sts))
	for i, st := range sts {
		out[i] = newStory(st)
	}
	return map[string][]story{"stories": out}
}

// messageStory is the story a Message replies to.
type messageStory struct {
	ID        string `json:"id"`
	MediaURL  string `json:"media_url"`
	MediaType string `json:"media_type"`
	IsExpired bool   `json:"is_expired"`
}

func newMessageStory(ms *numeneon.MessageStory) *messageStory {
	if ms == nil {
		return nil
	}
	return &messageStory{ID: ms.ID, MediaURL: ms.MediaURL, MediaType: ms.MediaType, IsExpired: ms.Expired}
}

// storyPage reads ?limit=&before=<story id>.
func storyPage(r *http.Request) (numeneon.StoryPage, error) {
	limit, err := queryLimit(r)
	if err != nil {
		return numeneon.StoryPage{}, err
	}
	return numeneon.StoryPage{Limit: limit, Before: r.URL.Query().Get("before")}, nil
}

// handleStoryFeed returns the caller's and their friends' live stories.
func (s *Server) handleStoryFeed(w http.ResponseWriter, r *http.Request) {
	page, err := storyPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sts, err := s.app.FeedStories(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, storyList(sts))
}

// handleMyStories returns the caller's own live stories.
func (s *Server) handleMyStories(w http.ResponseWriter, r *http.Request) {
	s.userStories(w, r, numeneon.UserIDFromContext(r.Context()))
}

// handleUserStories returns one user's live stories: empty unless the
// caller is that user or a friend.
func (s *Server) handleUserStories(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.userStories(w, r, id)
}

func (s *Server) userStories(w http.ResponseWriter, r *http.Request, userID int64) {
	page, err := storyPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sts, err := s.app.UserStories(r.Context(), userID, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, storyList(sts))
}

// storyRequest is the body of POST /api/stories/.
type storyRequest struct {
	MediaType optString `json:"media_type"`
	MediaURL  optString `json:"media_url"`
	Caption   optString `json:"caption"`
}

// handleCreateStory posts a story: 201 Story.
func (s *Server) handleCreateStory(w http.ResponseWriter, r *http.Request) {
	var in storyRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.app.CreateStory(r.Context(), app.NewStory{
		MediaType: in.MediaType.Value, MediaURL: in.MediaURL.Value, Caption: in.Caption.Value,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newStory(st))
}

// handleDeleteStory deletes the caller's story: 204.
func (s *Server) handleDeleteStory(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteStory(r.Context(), r.PathValue("story_id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleViewStory records a view: {success, view_count[, message]}.
func (s *Server) handleViewStory(w http.ResponseWriter, r *http.Request) {
	res, err := s.app.ViewStory(r.Context(), r.PathValue("story_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success   bool   `json:"success"`
		ViewCount int    `json:"view_count"`
		Message   string `json:"message,omitempty"`
	}{true, res.ViewCount, res.Message})
}

// reactRequest is the body of POST /api/stories/{story_id}/react/.
type reactRequest struct {
	ReactionType optString `json:"reaction_type"`
}

// handleReactToStory sets the caller's reaction:
// {success, reaction_type, heart_count, thunder_count}.
func (s *Server) handleReactToStory(w http.ResponseWriter, r *http.Request) {
	var in reactRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.app.ReactToStory(r.Context(), r.PathValue("story_id"), in.ReactionType.Value)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success      bool   `json:"success"`
		ReactionType string `json:"reaction_type"`
		HeartCount   int    `json:"heart_count"`
		ThunderCount int    `json:"thunder_count"`
	}{true, st.MyReaction, st.HeartCount, st.ThunderCount})
}

// handleUnreactToStory removes the caller's reaction: 204, or 404 when
// there was none.
func (s *Server) handleUnreactToStory(w http.ResponseWriter, r *http.Request) {
	if err := s.app.UnreactToStory(r.Context(), r.PathValue("story_id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
