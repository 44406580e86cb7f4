package redis

import goredis "github.com/redis/go-redis/v9"

// The presence scripts. Each runs atomically on the server, which is what
// makes "came online" and "went offline" exact when several processes
// connect and disconnect the same user at once. go-redis runs them with
// EVALSHA and falls back to EVAL once after a server restart lost them.
//
// Keys, under the prefix:
//
//	presence:<user>   set of node ids holding a socket of the user
//	nodeusers:<node>  set of users a node holds (to clean up after it)
//	node:<node>       the node's heartbeat, expiring after 3 intervals
//	nodes             set of node ids, to find the ones whose heartbeat expired

// connectScript adds a node to a user's set.
// KEYS: presence:<user>, nodeusers:<node>. ARGV: node, user.
// Returns 1 if the user had no node before.
var connectScript = goredis.NewScript(`
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
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

// heartbeatScript refreshes our heartbeat and claims at most one node whose
// heartbeat expired: it removes that node from its users' sets and returns
// those left with no node. Claiming inside the script means two survivors
// never both report the same users. One node per beat keeps each run short;
// further dead nodes are claimed on the next beats.
// ARGV: prefix, node, ttl in ms, claims (1, or 0 to only beat).
// Returns {revived, offline users}: revived is 1 when our own heartbeat had
// expired (at start, or after a stall long enough for another node to claim
// us), so the caller registers its users again.
var heartbeatScript = goredis.NewScript(`
local prefix, node, ttl, claims = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local revived = 0
if not redis.call('SET', prefix .. 'node:' .. node, '1', 'PX', ttl, 'XX') then
  redis.call('SET', prefix .. 'node:' .. node, '1', 'PX', ttl)
  revived = 1
end
redis.call('SADD', prefix .. 'nodes', node)
local offline = {}
if claims == 0 then return {revived, offline} end
for _, other in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if other ~= node and redis.call('EXISTS', prefix .. 'node:' .. other) == 0 then
    redis.call('SREM', prefix .. 'nodes', other)
    local users = prefix .. 'nodeusers:' .. other
    for _, user in ipairs(redis.call('SMEMBERS', users)) do
      local key = prefix .. 'presence:' .. user
      redis.call('SREM', key, other)
      if redis.call('SCARD', key) == 0 then offline[#offline + 1] = user end
    end
    redis.call('DEL', users)
    break
  end
end
return {revived, offline}
`)

// restoreScript registers users of a node again after it was claimed.
// ARGV: prefix, node, users...
var restoreScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  redis.call('SADD', prefix .. 'presence:' .. ARGV[i], node)
  redis.call('SADD', prefix .. 'nodeusers:' .. node, ARGV[i])
end
return #ARGV - 2
`)

// leaveScript removes a node and all its entries (clean shutdown).
// ARGV: prefix, node.
var leaveScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
local users = prefix .. 'nodeusers:' .. node
for _, user in ipairs(redis.call('SMEMBERS', users)) do
  redis.call('SREM', prefix .. 'presence:' .. user, node)
end
redis.call('DEL', users, prefix .. 'node:' .. node)
redis.call('SREM', prefix .. 'nodes', node)
return 0
`)
