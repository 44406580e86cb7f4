package api

import (
	"net/http"
	"strings"

	"github.com/numeneon/numeneon/web"
)

// route is one row of the route table: everything the server knows about a
// route besides its handler's code. The table registers the routes and is
// what the input tests walk, so a new route is tested by being added here.
type route struct {
	method  string
	pattern string // as API.md writes it, with its trailing slash
	// handler serves the route; nil makes the route absent (see serves).
	handler func(s *Server, w http.ResponseWriter, r *http.Request)
	// serves, when set, says whether this server serves the route at all
	// (the socket and metrics endpoints exist only when configured).
	serves func(s *Server) bool
	// exact registers pattern as written, without the slash variants of
	// handle (the probes and /metrics, which have no slash).
	exact bool

	authed bool   // requires an access token
	limit  string // rate limit class, "" for none
	// byUser keys limit by the authenticated user (inside authed) instead
	// of by client address (outside it).
	byUser bool
	// long marks a connection that outlives any request (the WebSocket):
	// Config.BodyReadTimeout does not apply to it.
	long bool

	// body is a nil pointer to the request body's struct type, nil for a
	// route that reads no body.
	body any
	// params are the path and query parameters the route reads.
	params []param
}

// paramKind is what a path or query parameter holds.
type paramKind int

const (
	// kindID is a positive integer id (int64).
	kindID paramKind = iota
	// kindCount is a non-negative integer (notification cursor).
	kindCount
	// kindLimit is a page size between 1 and maxLimit.
	kindLimit
	// kindText is a free-text value (a search query, a username).
	kindText
	// kindUUID is a story id.
	kindUUID
)

var paramKindNames = [...]string{kindID: "id", kindCount: "count", kindLimit: "limit", kindText: "text", kindUUID: "uuid"}

func (k paramKind) String() string { return paramKindNames[k] }

// param is one path or query parameter of a route.
type param struct {
	name  string
	query bool // in the query string; otherwise a {name} of the pattern
	kind  paramKind
}

// Shorthands for the parameters many routes share.
var (
	pageParams      = []param{{"limit", true, kindLimit}, {"before", true, kindID}}
	storyPageParams = []param{{"limit", true, kindLimit}, {"before", true, kindUUID}}
)

func pathParam(name string, kind paramKind) param  { return param{name, false, kind} }
func queryParam(name string, kind paramKind) param { return param{name, true, kind} }

// routeTable is every route the server has, in API.md's order.
var routeTable = []route{
	// "/" is the web UI for a browser and the status for everyone else;
	// /api/ is always the status (health.go, web/).
	{method: "GET", pattern: "/", handler: (*Server).handleRoot},
	{method: "GET", pattern: "/api/", handler: (*Server).handleStatus},
	{method: "GET", pattern: web.AssetPrefix, exact: true, handler: (*Server).serveUI,
		serves: func(s *Server) bool { return s.cfg.UI != nil }},
	{method: "GET", pattern: "/healthz", exact: true, handler: (*Server).handleHealthz},
	{method: "GET", pattern: "/readyz", exact: true, handler: (*Server).handleReadyz},
	{method: "GET", pattern: "/metrics", exact: true, handler: (*Server).serveMetrics,
		serves: func(s *Server) bool { return s.cfg.Gatherer != nil }},
	{method: "GET", pattern: "/ws/notifications/", handler: (*Server).serveSocket, long: true,
		serves: func(s *Server) bool { return s.cfg.Socket != nil }},

	// Accounts (account.go).
	{method: "POST", pattern: "/api/auth/signup/", handler: (*Server).handleSignup, limit: "signup", body: (*signupRequest)(nil)},
	{method: "POST", pattern: "/api/auth/login/", handler: (*Server).handleLogin, limit: "login", body: (*loginRequest)(nil)},
	{method: "POST", pattern: "/api/auth/token/refresh/", handler: (*Server).handleRefresh, limit: "refresh", body: (*refreshRequest)(nil)},
	{method: "POST", pattern: "/api/auth/logout/", handler: (*Server).handleLogout, limit: "refresh", body: (*logoutRequest)(nil)},
	{method: "POST", pattern: "/api/auth/password/", handler: (*Server).handleChangePassword, authed: true, limit: "login", body: (*passwordRequest)(nil)},
	{method: "GET", pattern: "/api/auth/me/", handler: (*Server).handleMe, authed: true},
	{method: "PATCH", pattern: "/api/auth/profile/", handler: (*Server).handleUpdateProfile, authed: true, body: (*profileRequest)(nil)},
	{method: "PUT", pattern: "/api/auth/profile/", handler: (*Server).handleUpdateProfile, authed: true, body: (*profileRequest)(nil)},
	{method: "GET", pattern: "/api/auth/search/", handler: (*Server).handleSearch, authed: true,
		params: []param{queryParam("q", kindText)}},
	{method: "GET", pattern: "/api/auth/users/{username}/", handler: (*Server).handleUserByUsername,
		params: []param{pathParam("username", kindText)}},

	// Friends (friend.go).
	{method: "GET", pattern: "/api/friends/", handler: (*Server).handleListFriends, authed: true, params: pageParams},
	{method: "GET", pattern: "/api/friends/suggestions/", handler: (*Server).handleFriendSuggestions, authed: true},
	{method: "GET", pattern: "/api/friends/requests/", handler: (*Server).handleFriendRequests, authed: true, params: pageParams},
	{method: "POST", pattern: "/api/friends/request/{user_id}/", handler: (*Server).handleSendFriendRequest, authed: true,
		params: []param{pathParam("user_id", kindID)}},
	{method: "POST", pattern: "/api/friends/accept/{request_id}/", handler: (*Server).handleAcceptFriendRequest, authed: true,
		params: []param{pathParam("request_id", kindID)}},
	{method: "POST", pattern: "/api/friends/decline/{request_id}/", handler: (*Server).handleDeclineFriendRequest, authed: true,
		params: []param{pathParam("request_id", kindID)}},
	{method: "DELETE", pattern: "/api/friends/remove/{user_id}/", handler: (*Server).handleRemoveFriend, authed: true,
		params: []param{pathParam("user_id", kindID)}},
	{method: "DELETE", pattern: "/api/friends/cancel/{user_id}/", handler: (*Server).handleCancelFriendRequest, authed: true,
		params: []param{pathParam("user_id", kindID)}},

	// Blocks and reports (block.go, report.go).
	{method: "POST", pattern: "/api/users/{user_id}/block/", handler: (*Server).handleBlockUser, authed: true,
		params: []param{pathParam("user_id", kindID)}},
	{method: "DELETE", pattern: "/api/users/{user_id}/block/", handler: (*Server).handleUnblockUser, authed: true,
		params: []param{pathParam("user_id", kindID)}},
	{method: "GET", pattern: "/api/users/blocked/", handler: (*Server).handleListBlocked, authed: true, params: pageParams},
	{method: "POST", pattern: "/api/reports/", handler: (*Server).handleReport, authed: true, body: (*reportRequest)(nil)},

	// Messages (message.go).
	{method: "GET", pattern: "/api/messages/", handler: (*Server).handleListMessages, authed: true, params: pageParams},
	{method: "POST", pattern: "/api/messages/", handler: (*Server).handleSendMessage, authed: true, limit: "message", byUser: true,
		body: (*messageRequest)(nil)},
	{method: "GET", pattern: "/api/messages/conversations/", handler: (*Server).handleConversations, authed: true},
	{method: "GET", pattern: "/api/messages/conversation/{user_id}/", handler: (*Server).handleConversation, authed: true,
		params: append([]param{pathParam("user_id", kindID)}, pageParams...)},
	{method: "POST", pattern: "/api/messages/read_all/", handler: (*Server).handleReadAll, authed: true,
		params: []param{queryParam("user_id", kindID)}},
	// Deprecated: the old client reads with GET.
	{method: "GET", pattern: "/api/messages/read_all/", handler: (*Server).handleReadAll, authed: true,
		params: []param{queryParam("user_id", kindID)}},
	{method: "POST", pattern: "/api/messages/conversation/{user_id}/read/", handler: (*Server).handleConversationRead, authed: true,
		params: []param{pathParam("user_id", kindID)}},

	// Notifications (notification.go).
	{method: "GET", pattern: "/api/notifications/", handler: (*Server).handleListNotifications, authed: true,
		params: []param{queryParam("since", kindCount), queryParam("limit", kindLimit)}},
	{method: "POST", pattern: "/api/notifications/read/", handler: (*Server).handleMarkNotificationsRead, authed: true,
		body: (*markReadRequest)(nil)},
	// Web Push (push.go).
	{method: "GET", pattern: "/api/notifications/vapid-public-key/", handler: (*Server).handleVAPIDPublicKey},
	{method: "POST", pattern: "/api/notifications/subscribe/", handler: (*Server).handleSubscribePush, authed: true,
		body: (*subscribeRequest)(nil)},
	{method: "POST", pattern: "/api/notifications/unsubscribe/", handler: (*Server).handleUnsubscribePush, authed: true,
		body: (*unsubscribeRequest)(nil)},

	// Posts (post.go). Every signed-in user reads every post; only the
	// author changes or deletes one.
	{method: "GET", pattern: "/api/posts/", handler: (*Server).handleListPosts, authed: true,
		params: append([]param{queryParam("username", kindText)}, pageParams...)},
	{method: "POST", pattern: "/api/posts/", handler: (*Server).handleCreatePost, authed: true, body: (*postRequest)(nil)},
	{method: "GET", pattern: "/api/posts/{post_id}/", handler: (*Server).handleGetPost, authed: true,
		params: []param{pathParam("post_id", kindID)}},
	{method: "PUT", pattern: "/api/posts/{post_id}/", handler: (*Server).handleEditPost, authed: true,
		params: []param{pathParam("post_id", kindID)}, body: (*postEditRequest)(nil)},
	{method: "PATCH", pattern: "/api/posts/{post_id}/", handler: (*Server).handleEditPost, authed: true,
		params: []param{pathParam("post_id", kindID)}, body: (*postEditRequest)(nil)},
	{method: "DELETE", pattern: "/api/posts/{post_id}/", handler: (*Server).handleDeletePost, authed: true,
		params: []param{pathParam("post_id", kindID)}},
	{method: "GET", pattern: "/api/posts/{post_id}/replies/", handler: (*Server).handlePostReplies, authed: true,
		params: append([]param{pathParam("post_id", kindID)}, pageParams...)},
	{method: "POST", pattern: "/api/posts/{post_id}/like/", handler: (*Server).handleLikePost, authed: true,
		params: []param{pathParam("post_id", kindID)}, body: (*likeRequest)(nil)},
	{method: "POST", pattern: "/api/posts/{post_id}/share/", handler: (*Server).handleSharePost, authed: true,
		params: []param{pathParam("post_id", kindID)}},

	// Stories (story.go). Story ids in paths are UUIDs; one that is
	// malformed or names a story the caller may not see is 404, like an
	// unknown one.
	{method: "GET", pattern: "/api/stories/", handler: (*Server).handleStoryFeed, authed: true, params: storyPageParams},
	{method: "POST", pattern: "/api/stories/", handler: (*Server).handleCreateStory, authed: true, body: (*storyRequest)(nil)},
	{method: "GET", pattern: "/api/stories/me/", handler: (*Server).handleMyStories, authed: true, params: storyPageParams},
	{method: "GET", pattern: "/api/stories/user/{user_id}/", handler: (*Server).handleUserStories, authed: true,
		params: append([]param{pathParam("user_id", kindID)}, storyPageParams...)},
	{method: "DELETE", pattern: "/api/stories/{story_id}/", handler: (*Server).handleDeleteStory, authed: true,
		params: []param{pathParam("story_id", kindUUID)}},
	{method: "POST", pattern: "/api/stories/{story_id}/view/", handler: (*Server).handleViewStory, authed: true,
		params: []param{pathParam("story_id", kindUUID)}},
	{method: "POST", pattern: "/api/stories/{story_id}/react/", handler: (*Server).handleReactToStory, authed: true,
		params: []param{pathParam("story_id", kindUUID)}, body: (*reactRequest)(nil)},
	{method: "DELETE", pattern: "/api/stories/{story_id}/react/", handler: (*Server).handleUnreactToStory, authed: true,
		params: []param{pathParam("story_id", kindUUID)}},

	// Studio (studio.go, music.go). A username shadowed by a fixed path
	// (profile, search, playlist) cannot be looked up here; the client
	// never asks.
	// Public, as in the original; limited per address, as every query
	// that misses the cache costs a call to the catalogue (music.go).
	{method: "GET", pattern: "/api/mystudio/search/", handler: (*Server).handleMusicSearch, limit: "music",
		params: []param{queryParam("q", kindText)}},
	{method: "GET", pattern: "/api/mystudio/profile/", handler: (*Server).handleMyStudio, authed: true},
	{method: "PUT", pattern: "/api/mystudio/", handler: (*Server).handleUpdateStudio, authed: true, body: (*studioRequest)(nil)},
	{method: "PATCH", pattern: "/api/mystudio/", handler: (*Server).handleUpdateStudio, authed: true, body: (*studioRequest)(nil)},
	{method: "POST", pattern: "/api/mystudio/playlist/", handler: (*Server).handleAddSong, authed: true, body: (*songRequest)(nil)},
	{method: "DELETE", pattern: "/api/mystudio/playlist/{song_id}/", handler: (*Server).handleDeleteSong, authed: true,
		params: []param{pathParam("song_id", kindID)}},
	{method: "PATCH", pattern: "/api/mystudio/playlist/reorder/", handler: (*Server).handleReorderPlaylist, authed: true,
		body: (*reorderRequest)(nil)},
	{method: "GET", pattern: "/api/mystudio/{username}/", handler: (*Server).handleStudioOf, authed: true,
		params: []param{pathParam("username", kindText)}},
}

// routes registers every route of the table this server serves.
func (s *Server) routes() {
	for _, rt := range routeTable {
		if rt.serves != nil && !rt.serves(s) {
			continue
		}
		h := s.wrap(rt)
		var patterns []string
		if rt.exact {
			patterns = []string{rt.method + " " + rt.pattern}
		} else {
			patterns = slashVariants(rt.method + " " + rt.pattern)
		}
		for _, p := range patterns {
			s.mux.HandleFunc(p, h)
			if rt.long {
				s.long[p] = true
			}
		}
	}
}

// wrap builds rt's handler with its middleware: a limit by address runs
// before authentication (so it also counts requests with bad tokens), a
// limit by user after it.
//
// The handler itself runs only once the route's path and query values have
// passed checkParams.
func (s *Server) wrap(rt route) http.HandlerFunc {
	h := func(w http.ResponseWriter, r *http.Request) {
		if err := checkParams(&rt, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		rt.handler(s, w, r)
	}
	if rt.limit != "" && rt.byUser {
		h = s.limitedByUser(rt.limit, h)
	}
	if rt.authed {
		h = s.authed(h)
	}
	if rt.limit != "" && !rt.byUser {
		h = s.limited(rt.limit, h)
	}
	return h
}

// slashVariants are the patterns a route (written with its trailing slash,
// as API.md does) is registered as: with and without the slash, each
// matching exactly that path: the
// client sometimes drops the slash, and a redirect would turn its POST into
// a GET.
func slashVariants(pattern string) []string {
	method, path, _ := strings.Cut(pattern, " ")
	if path == "/" {
		return []string{method + " /{$}"}
	}
	return []string{method + " " + path + "{$}", method + " " + strings.TrimSuffix(path, "/")}
}

// serveUI serves the web UI's files below web.AssetPrefix.
func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	s.cfg.UI.ServeHTTP(w, r)
}

// serveSocket is the WebSocket endpoint, Config.Socket.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.cfg.Socket.ServeHTTP(w, r)
}

// serveMetrics is /metrics, Config.Gatherer's metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metricsHandler.ServeHTTP(w, r)
}
