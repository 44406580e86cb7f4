package api

import (
	"net/http"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// handleListFriends returns the caller's friends.
func (s *Server) handleListFriends(w http.ResponseWriter, r *http.Request) {
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	friends, err := s.app.ListFriends(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]friendCard, len(friends))
	for i, f := range friends {
		out[i] = friendCard{userCard: newUserCards([]*numeneon.User{f.User}, false)[0], IsOnline: f.Online}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleFriendSuggestions returns up to 20 people to befriend.
func (s *Server) handleFriendSuggestions(w http.ResponseWriter, r *http.Request) {
	users, err := s.app.FriendSuggestions(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newUserCards(users, false))
}

// handleFriendRequests returns the requests sent to the caller.
func (s *Server) handleFriendRequests(w http.ResponseWriter, r *http.Request) {
	page, err := queryPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs, err := s.app.ListFriendRequests(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]friendRequest, len(reqs))
	for i, fr := range reqs {
		from := &numeneon.User{ID: fr.FromUserID}
		if fr.FromUser != nil {
			from = fr.FromUser
		}
		out[i] = friendRequest{ID: fr.ID, FromUser: app.ShortUser(from), CreatedAt: app.FormatTime(fr.CreatedAt)}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSendFriendRequest asks a user to be friends: 201 {message}. When
// that user had already asked the caller, they become friends instead and
// the answer says so, with the friend, like accept/.
func (s *Server) handleSendFriendRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.app.SendFriendRequest(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Accepted {
		writeJSON(w, http.StatusCreated, acceptedBody(res.Friend))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"message": "Friend request sent"})
}

// handleAcceptFriendRequest accepts a request addressed to the caller:
// 201 {message, friend}.
func (s *Server) handleAcceptFriendRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "request_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	friend, err := s.app.AcceptFriendRequest(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, acceptedBody(friend))
}

func acceptedBody(friend *numeneon.User) any {
	return struct {
		Message string        `json:"message"`
		Friend  app.UserShort `json:"friend"`
	}{"Friend request accepted", app.ShortUser(friend)}
}

// handleDeclineFriendRequest deletes a request addressed to the caller. Its
// 403 is {"message": "Not authorized"}, as the original's.
func (s *Server) handleDeclineFriendRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "request_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.DeclineFriendRequest(r.Context(), id); err != nil {
		key := ""
		if numeneon.ErrorCode(err) == numeneon.EFORBIDDEN {
			key = "message"
		}
		s.writeErrorKey(w, r, err, key)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Friend request declined"})
}

// handleRemoveFriend ends a friendship.
func (s *Server) handleRemoveFriend(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.RemoveFriend(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Friend removed"})
}

// handleCancelFriendRequest withdraws the caller's request to a user.
func (s *Server) handleCancelFriendRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.CancelFriendRequest(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Friend request cancelled"})
}
