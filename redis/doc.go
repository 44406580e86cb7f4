// Package redis implements numeneon.Layer and numeneon.Presence over Redis,
// so that an event raised in any process reaches the sockets of its user in
// every process and on every machine sharing the server.
//
// Layer uses pub/sub with one channel per user and one subscriber connection
// per process; it reconnects on its own and then tells the hub, which
// replays what may have been lost from the store. Presence keeps, per user,
// the set of processes holding a socket, with an expiring heartbeat per
// process so that a process that dies does not leave its users online.
//
// Both are frugal with commands, because hosted free tiers count them: about
// one command per delivered event, and while idle 1.6 commands per
// Options.HeartbeatInterval (one minute by default) for a Layer and a
// Presence together, counted as Redis counts them (the commands a script runs
// included): one SET per interval, and a scan for dead nodes every 5th. The
// subscriber connection costs none while idle; TCP keepalive watches it.
//
// The Lua scripts of Presence build key names from the prefix, so Presence
// needs a single Redis server (or a cluster where its keys share one node);
// the Layer works with any server that has pub/sub.
package redis
