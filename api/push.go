package api

import (
	"net/http"

	"github.com/numeneon/numeneon"
)

// handleVAPIDPublicKey answers the key browsers subscribe with, under both
// names clients read; 503 when push is not configured.
func (s *Server) handleVAPIDPublicKey(w http.ResponseWriter, r *http.Request) {
	key, err := s.app.VAPIDPublicKey()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"publicKey": key, "vapid_public_key": key})
}

// subscribeRequest is the body of POST /api/notifications/subscribe/: the
// browser's PushSubscription.toJSON() (expirationTime is ignored).
type subscribeRequest struct {
	Endpoint optString `json:"endpoint"`
	Keys     struct {
		P256dh optString `json:"p256dh"`
		Auth   optString `json:"auth"`
	} `json:"keys"`
}

// handleSubscribePush stores the caller's browser subscription: 201.
func (s *Server) handleSubscribePush(w http.ResponseWriter, r *http.Request) {
	var in subscribeRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err := s.app.SubscribePush(r.Context(), numeneon.PushSubscription{
		Endpoint: in.Endpoint.Value, P256dh: in.Keys.P256dh.Value, Auth: in.Keys.Auth.Value,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"message": "Subscribed to push notifications."})
}

// unsubscribeRequest is the body of POST /api/notifications/unsubscribe/.
type unsubscribeRequest struct {
	Endpoint optString `json:"endpoint"`
}

// handleUnsubscribePush deletes the caller's subscription: 200, or 404.
func (s *Server) handleUnsubscribePush(w http.ResponseWriter, r *http.Request) {
	var in unsubscribeRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.app.UnsubscribePush(r.Context(), in.Endpoint.Value); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Unsubscribed from push notifications."})
}
