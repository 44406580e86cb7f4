// Package realtime owns the sockets of one process: which user holds which
// WebSocket connections here, a bounded writer queue per connection, and the
// resume logic that makes delivery whole on top of an at-most-once channel
// layer. Its Hub is the endpoint /ws/notifications/ and the
// numeneon.LayerHandler of the process.
//
// Delivery guarantee. Every stored event (id > 0) reaches a socket at most
// once and in id order. A socket that connected with ?since=N (or sent
// {"type":"resume","since":N}) receives every stored event with id > N,
// without gap: the hub replays from the store, buffers live events meanwhile
// and drops those it already sent; afterwards a live event whose id skips
// ahead (pub/sub lost one) makes the socket fill the gap from the store
// first, and a reconnect of the channel layer makes every socket with a
// known position catch up. A socket that connected without since starts at
// the user's newest stored event at the time it opened: older events are not
// replayed, and every later one is delivered with the same guarantees. A
// since above the user's newest id is clamped to it (it would otherwise
// mute every live event until ids caught up), and a resume on an open
// socket never goes below the highest id that socket has sent: ids on a
// socket only increase. Events that are not stored (typing, presence; id 0) are best
// effort.
//
// Token expiry (TokenExpiry). By default a socket stays open past its
// access token's expiry for as long as its user stays active and signed
// in, as the original backend's did: it closes with 4001 on sign-out
// everywhere or a password change and 4003 on deactivation (a session-end
// envelope on the user's channel, acted on by every process and never
// sent to a client), and at the latest when the sign-in ends (the token's
// iat plus the refresh lifetime, 7 days: no refresh token of it works
// after that), after {"type":"token_expired"}. With TokenExpiryEnforce it
// closes with {"type":"token_expired"} and 4001 the instant the REST API
// stops accepting the token (its exp plus the 30 s leeway). In both modes
// a client may send {"type":"auth","token":...} on the open socket: a valid
// token of the same user moves the deadline to that token's; a bad,
// expired or another user's token gets {"type":"error"} and changes
// nothing. The handshake accepts exactly the tokens the REST API accepts,
// and never upgrades a socket that would be closed at once.
//
// Close codes the server uses, besides the standard ones (1009 for a frame
// over the read limit, 1011 when the store fails during a replay, 1012 on
// shutdown, 1013 when the socket cannot be set up):
//
//	4001  authentication failed: bad or expired token in the first
//	      {"type":"auth"} message, no such message within the auth timeout,
//	      the token or sign-in expired (sent after {"type":"token_expired"}),
//	      or the user signed out everywhere or changed the password
//	4003  the user is not allowed to connect (inactive account), or was
//	      deactivated while connected
//	4008  slow consumer: the socket's queue overflowed; reconnect with since
//
// Every 4xxx close is meant to be followed by a reconnect with ?since=<last
// id seen> (4001 with a fresh token), which loses nothing.
//
// Liveness. The server pings every PingInterval (25 s, under the 55–60 s
// idle timeouts of common proxies), counted from the last ping, and drops a
// peer whose pong does not arrive within WriteTimeout (10 s) without a
// close frame. A write that does not finish within WriteTimeout means the
// client stopped reading and its TCP window is full: no close frame could
// reach it, so the connection is aborted (possibly inside a frame) and
// counted in numeneon_ws_write_timeouts_total, not as a 4008; the client
// reconnects with since and loses nothing. 4008 is for a queue that
// overflows (QueueBytes) while writes still pass.
//
// Limits. A user holds at most SocketsPerUser sockets (20) on one process;
// the handshake of one more gets 429 with Retry-After (or, authenticated by
// a first message, a close with 1013). The handshake needs HTTP/1.1 or
// later (505 otherwise).
//
// Writing. A socket's writer runs only while it has work (see socket): an
// idle socket holds no goroutine. Every frame that piled up for a socket
// goes out in one vectored write.
//
// Store calls. Every store, layer and presence call a socket waits for is
// bounded by StoreTimeout and abandoned when the client leaves: a hung
// store never keeps a socket whose client has gone, and a replay whose
// store read fails closes with 1011.
//
// Binary frames are answered with an error message and the socket stays
// open; the server never closes a socket over a bad message except for a
// message above the read limit (1009), a frame that does not arrive whole
// within 30 s of its first bytes (1008) and violations of the WebSocket
// protocol itself (1002; 1007 for a text message that is not UTF-8, which a
// browser cannot send).
package realtime
