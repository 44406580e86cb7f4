// Package numeneon holds the domain of the NUMENEON social backend: users and
// profiles, friend requests, direct messages, stories, stored notifications
// and the envelopes that carry them to sockets, together with the two
// interfaces every adapter implements: Store (a SQL database) and Layer (the
// channel layer that moves events between processes).
//
// The package has no dependency on any technology. Adapters live in their own
// packages (sqlite, postgres, inmem, redis), business rules in app, HTTP in
// api, the local socket hub in realtime, and the wiring in cmd/numeneon.
package numeneon
