package redis

import goredis "github.com/redis/go-redis/v9"

// The presence scripts. Each runs atomically on the server, which is what
// makes "came online" and "went offline" exact when several processes
// connect and disconnect the same user at once, and what makes a claim of a
// dead node happen once. go-redis runs them with EVALSHA and falls back to
// EVAL once after a server restart lost them.
//
// Keys, under the prefix:
//
//	presence:<user>   set of node ids holding a socket of the user
//	nodeusers:<node>  set of users a node holds (to clean up after it)
//	presence-nodes    set of the registered node ids
//
// Channels, under the prefix (see presence.go for why):
//
//	presence-node:<node>  subscribed by the node alone: while Redis counts a
//	                      subscriber, the process is alive
//	presence-beats        "+<node>" is a node's beat, "-<node>" a node that
//	                      left or was claimed

// connectScript adds a node to a user's set. It registers the node too: a
// node claimed while it was cut off, and not yet back, must stay findable.
// KEYS: presence:<user>, nodeusers:<node>, presence-nodes. ARGV: node, user.
// Returns 1 if the user had no node before.
var connectScript = goredis.NewScript(`
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
if added == 1 and redis.call('SCARD', KEYS[1]) == 1 then return 1 end
return 0
`)

// disconnectScript removes a node from a user's set.
// KEYS: presence:<user>, nodeusers:<node>. ARGV: node, user.
// Returns 1 if the user has no node left (and had this one).
var disconnectScript = goredis.NewScript(`
local removed = redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('SCARD', KEYS[1]) == 0 then return 1 end
return 0
`)

// joinScript registers a node, announces it with a first beat, and returns
// every registered node, so that the caller watches the nodes that joined
// before it subscribed to the beats (the later ones it hears).
// ARGV: prefix, node.
var joinScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
redis.call('SADD', prefix .. 'presence-nodes', node)
redis.call('PUBLISH', prefix .. 'presence-beats', '+' .. node)
return redis.call('SMEMBERS', prefix .. 'presence-nodes')
`)

// Replies of claimScript.
const (
	claimAlive   = 0 // Redis still counts the node's subscriber: not dead
	claimDone    = 1 // claimed; the reply's users have no socket left
	claimUnknown = 2 // not registered: it left, or another node claimed it
)

// claimScript claims a silent node if it is dead: Redis counts no
// subscriber on its liveness channel (a killed process's connections are
// closed by its kernel), or force is "1" (silent so long that a connection
// Redis still counts must be half-open, its machine gone). It removes the
// node from its users' sets, returns those left with no node, and tells
// every node with "-<node>" on the beats channel. Deciding inside the script
// means a node that subscribes again is never claimed after it did, and two
// survivors never both report the same users.
// ARGV: prefix, node, force.
// Returns {claimAlive | claimDone | claimUnknown, offline users}.
var claimScript = goredis.NewScript(`
local prefix, dead, force = ARGV[1], ARGV[2], ARGV[3]
if redis.call('SISMEMBER', prefix .. 'presence-nodes', dead) == 0 then return {2, {}} end
if force ~= '1' then
  local subs = redis.call('PUBSUB', 'NUMSUB', prefix .. 'presence-node:' .. dead)
  if tonumber(subs[2]) > 0 then return {0, {}} end
end
redis.call('SREM', prefix .. 'presence-nodes', dead)
local users = prefix .. 'nodeusers:' .. dead
local offline = {}
for _, user in ipairs(redis.call('SMEMBERS', users)) do
  local key = prefix .. 'presence:' .. user
  redis.call('SREM', key, dead)
  if redis.call('SCARD', key) == 0 then offline[#offline + 1] = user end
end
redis.call('DEL', users)
redis.call('PUBLISH', prefix .. 'presence-beats', '-' .. dead)
return {1, offline}
`)

// restoreScript registers users of a node again after it was claimed or
// after Redis lost them.
// ARGV: prefix, node, users...
var restoreScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  redis.call('SADD', prefix .. 'presence:' .. ARGV[i], node)
  redis.call('SADD', prefix .. 'nodeusers:' .. node, ARGV[i])
end
return #ARGV - 2
`)

// leaveScript removes a node and all its entries (clean shutdown) and tells
// the other nodes to stop watching it.
// ARGV: prefix, node.
var leaveScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
local users = prefix .. 'nodeusers:' .. node
for _, user in ipairs(redis.call('SMEMBERS', users)) do
  redis.call('SREM', prefix .. 'presence:' .. user, node)
end
redis.call('DEL', users)
redis.call('SREM', prefix .. 'presence-nodes', node)
redis.call('PUBLISH', prefix .. 'presence-beats', '-' .. node)
return 0
`)
