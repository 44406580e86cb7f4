// Package pglayer is the channel layer and the presence over PostgreSQL
// itself: LISTEN/NOTIFY on one channel, so that every process sharing a
// database delivers to every other one without a second service. It is the
// layer of a PostgreSQL deployment without REDIS_URL.
//
// One channel, not one per user: PostgreSQL looks at every listening backend
// for each notification, so many channels would cost more, not less. Every
// process receives every notification and keeps those of users it holds
// sockets of.
//
// What travels: an event without an id (typing, presence, a session end, the
// readiness probe) carries its frame. A stored event carries its frame too
// when it fits in one notification (PostgreSQL refuses payloads of 8,000
// bytes or more), else only its user and id, and each receiving process
// reads it from the store (Config.Events) in the order it arrived. See
// Publish for why frames travel when they can, and where NOTIFY is sent.
package pglayer
