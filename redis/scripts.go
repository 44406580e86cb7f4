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

// The heartbeat itself is no script: a plain SET ... XX refreshes the
// node's key, one command per interval by any count. Only when that key is
// gone (at start, after a stall long enough for it to expire, or after a
// Redis restart lost it) does the node run registerScript, and every
// scanEvery beats scanScript looks for dead nodes.

// registerScript (re)creates this node's heartbeat and adds it to the nodes
// set, so that others find it once it dies.
// ARGV: prefix, node, ttl in ms.
var registerScript = goredis.NewScript(`
local prefix, node, ttl = ARGV[1], ARGV[2], ARGV[3]
redis.call('SET', prefix .. 'node:' .. node, '1', 'PX', ttl)
redis.call('SADD', prefix .. 'nodes', node)
return 1
`)

// scanScript claims at most one node whose heartbeat expired: it removes
// that node from its users' sets and returns those left with no node.
// Claiming inside the script means two survivors never both report the same
// users. One node per run keeps each run short; the caller scans again on
// its next beat after a claim. The heartbeats of all other nodes are read
// with one MGET per 1000 nodes, so an idle scan costs three commands
// whatever the number of nodes (two when the node is alone).
// ARGV: prefix, node.
// Returns {claimed (1 or 0), offline users}.
var scanScript = goredis.NewScript(`
local prefix, node = ARGV[1], ARGV[2]
local others = {}
for _, other in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if other ~= node then others[#others + 1] = other end
end
for i = 1, #others, 1000 do
  local keys = {}
  for j = i, math.min(i + 999, #others) do keys[#keys + 1] = prefix .. 'node:' .. others[j] end
  local beats = redis.call('MGET', unpack(keys))
  for j = 1, #keys do
    if not beats[j] then
      local dead = others[i + j - 1]
      redis.call('SREM', prefix .. 'nodes', dead)
      local users = prefix .. 'nodeusers:' .. dead
      local offline = {}
      for _, user in ipairs(redis.call('SMEMBERS', users)) do
        local key = prefix .. 'presence:' .. user
        redis.call('SREM', key, dead)
        if redis.call('SCARD', key) == 0 then offline[#offline + 1] = user end
      end
      redis.call('DEL', users)
      return {1, offline}
    end
  end
end
return {0, {}}
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
