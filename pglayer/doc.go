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
// reads it from the store (Config.Events) in the order it arrived. Frames
// travel when they can because then no receiving process reads anything:
// sending only ids would cost every process one store read per burst of
// notifications, to save bytes in PostgreSQL's notification queue, which
// holds gigabytes. See Publish for where NOTIFY is sent (after the commit:
// BENCHMARKS.md has the measurement).
package pglayer
