// Package ws is the server side of the WebSocket protocol (RFC 6455) for
// connections that are idle most of their life, as a notification socket
// is.
//
// A connection costs no goroutine while nothing arrives on it. On Linux a
// TCP or Unix connection is watched by a Poller (one epoll instance and one
// goroutine waiting on it), which whoever serves the connections creates
// with NewPoller, passes in Options.Poller and closes when they are done;
// when bytes arrive, a goroutine is started to read and parse them, hand
// each complete message to the connection's Handler and end. Partial
// frames are kept between reads; read buffers are borrowed from a pool for
// the length of a read. Elsewhere (no Poller, other systems, or a
// connection that is not a TCP or Unix socket) a goroutine per connection
// reads instead, with the same behaviour.
//
// Writing is the caller's: Write, WriteTexts (several messages in one
// writev), Ping and Close block the calling goroutine until the frames are
// written or the deadline passes. They may be called from any goroutine;
// frames are written whole, one at a time. A write that fails or times out
// may leave a frame cut short on the wire: the connection is then closed
// without a close frame, since none could follow it.
//
// What is implemented: the handshake (one subprotocol chosen by the caller,
// no extensions), text and binary messages, fragmentation, ping/pong, the
// close handshake, a read limit per message (1009 above it), a time limit
// for a frame to arrive whole once begun (1008), UTF-8 checks of text
// messages (1007) and close reasons, and protocol errors (1002).
// Not implemented: permessage-deflate and other extensions (never
// negotiated), and the client side.
package ws
