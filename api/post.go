package api

import (
	"net/http"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

func newPosts(ps []*numeneon.Post, viewerID int64) []app.PostObject {
	out := make([]app.PostObject, len(ps))
	for i, p := range ps {
		out[i] = app.NewPostObject(p, viewerID)
	}
	return out
}

// handleListPosts returns the feed, or with ?username= that user's profile
// posts: newest first.
func (s *Server) handleListPosts(w http.ResponseWriter, r *http.Request) {
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, err := s.app.ListPosts(r.Context(), r.URL.Query().Get("username"), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPosts(ps, numeneon.UserIDFromContext(r.Context())))
}

// postRequest is the body of POST /api/posts/.
type postRequest struct {
	Content           optString `json:"content"`
	Type              optString `json:"type"`
	MediaURL          optString `json:"media_url"`
	ParentID          flexID    `json:"parent_id"`
	TargetProfileID   flexID    `json:"target_profile_id"`
	ReplyToCommentID  flexID    `json:"reply_to_comment_id"`
	MentionedUserID   flexID    `json:"mentioned_user_id"`
	MentionedUsername optString `json:"mentioned_username"`
}

// refID returns the id a reference field names, 0 for none; an id that
// cannot name a row is EINVALID.
func refID(fe map[string][]string, name string, f flexID) int64 {
	if f.Set && f.Value <= 0 {
		fe[name] = append(fe[name], "Invalid pk - object does not exist.")
	}
	return f.Value
}

// handleCreatePost posts: 201 Post.
func (s *Server) handleCreatePost(w http.ResponseWriter, r *http.Request) {
	var in postRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	fe := map[string][]string{}
	np := app.NewPost{
		Content:           in.Content.Value,
		Type:              in.Type.Value,
		MediaURL:          in.MediaURL.Value,
		ParentID:          refID(fe, "parent_id", in.ParentID),
		TargetProfileID:   refID(fe, "target_profile_id", in.TargetProfileID),
		ReplyToCommentID:  refID(fe, "reply_to_comment_id", in.ReplyToCommentID),
		MentionedUserID:   refID(fe, "mentioned_user_id", in.MentionedUserID),
		MentionedUsername: in.MentionedUsername.Value,
	}
	if in.Type.Set && in.Type.Null {
		fe["type"] = append(fe["type"], "This field may not be null.")
	}
	if len(fe) > 0 {
		s.writeError(w, r, fieldErrorsOf(fe))
		return
	}
	p, err := s.app.CreatePost(r.Context(), np)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, app.NewPostObject(p, p.AuthorID))
}

// fieldErrorsOf returns the EINVALID error of fe (not empty).
func fieldErrorsOf(fe map[string][]string) error {
	var first string
	for f := range fe {
		if first == "" || f < first {
			first = f
		}
	}
	return &numeneon.Error{Code: numeneon.EINVALID, Message: first + ": " + fe[first][0], Fields: fe}
}

// handleGetPost returns one post.
func (s *Server) handleGetPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.app.FindPost(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.NewPostObject(p, numeneon.UserIDFromContext(r.Context())))
}

// postEditRequest is the body of PUT and PATCH /api/posts/{post_id}/.
type postEditRequest struct {
	Content  optString `json:"content"`
	Type     optString `json:"type"`
	MediaURL optString `json:"media_url"`
}

// handleEditPost changes the caller's post: 200 Post. PUT and PATCH both
// change only the fields sent (the client sends only what changed).
func (s *Server) handleEditPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in postEditRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Type.Set && in.Type.Null {
		s.writeError(w, r, numeneon.FieldError("type", "This field may not be null."))
		return
	}
	p, err := s.app.EditPost(r.Context(), id, app.PostEdit{Content: in.Content.ptr(), Type: in.Type.ptr(), MediaURL: in.MediaURL.ptr()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.NewPostObject(p, p.AuthorID))
}

// handleDeletePost deletes the caller's post: 204.
func (s *Server) handleDeletePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.DeletePost(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePostReplies returns a post's direct children, newest first.
func (s *Server) handlePostReplies(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, err := s.app.ListReplies(r.Context(), id, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPosts(ps, numeneon.UserIDFromContext(r.Context())))
}

// likeRequest is the body of POST /api/posts/{post_id}/like/.
type likeRequest struct {
	Action optString `json:"action"`
}

// handleLikePost likes, unlikes or (without action) toggles: 200 Post.
func (s *Server) handleLikePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in likeRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.app.LikePost(r.Context(), id, in.Action.Value)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.NewPostObject(p, numeneon.UserIDFromContext(r.Context())))
}

// handleSharePost counts a share: 200 Post.
func (s *Server) handleSharePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.app.SharePost(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.NewPostObject(p, numeneon.UserIDFromContext(r.Context())))
}
