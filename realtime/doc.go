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
// replayed, and every later one is delivered with the same guarantees. Events that are not stored (typing, presence; id 0) are best
// effort.
//
// Close codes the server uses, besides the standard ones (1009 for a frame
// over the read limit, 1011 when the store fails during a replay, 1012 on
// shutdown):
//
//	4001  authentication failed: bad or expired token in the first
//	      {"type":"auth"} message, no such message within the auth timeout,
//	      or the access token expired (sent after {"type":"token_expired"})
//	4003  the user is not allowed to connect (inactive account)
//	4008  slow consumer: the socket's queue overflowed; reconnect with since
//
// Every 4xxx close is meant to be followed by a reconnect with ?since=<last
// id seen> (4001 with a fresh token), which loses nothing.
//
// Binary frames are answered with an error message and the socket stays
// open; the server never closes a socket over a bad message except for a
// message above the read limit (1009), a frame that does not arrive whole
// within 30 s of its first bytes (1008) and violations of the WebSocket
// protocol itself (1002; 1007 for a text message that is not UTF-8, which a
// browser cannot send).
package realtime
