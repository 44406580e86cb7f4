// Package redis implements numeneon.Layer and numeneon.Presence over Redis,
// so that an event raised in any process reaches the sockets of its user in
// every process and on every machine sharing the server.
//
// Layer uses pub/sub with one channel per user and one subscriber connection
// per process; it reconnects on its own and then tells the hub, which
// replays what may have been lost from the store. Presence keeps, per user,
// the set of processes holding a socket; each process keeps a subscriber
// connection of its own and publishes a beat that every other hears, so that
// the users of a process that dies are reported offline within about 70
// seconds (see Presence).
//
// Both are frugal with commands, because hosted free tiers count them: about
// one command per delivered event, and while idle one PUBLISH per
// Options.HeartbeatInterval (40 seconds by default: 1.5 commands a minute)
// for a Layer and a Presence together, counted as Redis counts them. The
// subscriber connections cost none while idle; TCP keepalive watches them.
//
// The Lua scripts of Presence build key names from the prefix, so Presence
// needs a single Redis server (or a cluster where its keys share one node);
// the Layer works with any server that has pub/sub.
package redis
