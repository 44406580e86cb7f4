// Package ws is the server side of the WebSocket protocol (RFC 6455) for
// connections that are idle most of their life, as a notification socket
// is.
//
// A connection costs no goroutine while nothing arrives on it. On Linux a
// TCP connection is watched by one epoll instance per process; when bytes
// arrive, a goroutine is started to read and parse them, hand each complete
// message to the connection's Handler and end. Partial frames are kept
// between reads; read buffers are borrowed from a pool for the length of a
// read. Elsewhere (other systems, or a connection that is not a TCP or Unix
// socket) a goroutine per connection reads instead, with the same
// behaviour.
//
// Writing is the caller's: Write, Ping and Close block the calling goroutine
// until the frame is written or the deadline passes. They may be called
// from any goroutine; frames are written whole, one at a time.
//
// What is implemented: the handshake (one subprotocol chosen by the caller,
// no extensions), text and binary messages, fragmentation, ping/pong, the
// close handshake, a read limit per message (1009 above it), a time limit
// for a frame to arrive whole once begun (1008), UTF-8 checks of text
// messages (1007) and close reasons, and protocol errors (1002).
// Not implemented: permessage-deflate and other extensions (never
// negotiated), and the client side.
package ws
