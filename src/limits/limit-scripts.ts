/**
 * The Lua scripts behind the limits: each check and each settlement is one atomic script, so
 * replicas sharing a Redis never both take the last request of a window.
 *
 * Counters are plain integers in fixed windows (the minute, the UTC day), one key per caller,
 * scope, kind and window, expiring after their window (plus time for late settlements).
 */
import { RedisScript } from "./redis-link";

/**
 * KEYS: one counter per limit. ARGV[1]: tokens estimated for this request; then three per key:
 * kind (`r` requests, `t` tokens, `s` spend), limit, expiry in ms.
 * Admitted when every counter has room: requests used + 1 ≤ limit, tokens used + estimate ≤
 * limit, spend used < limit. Then the request and its estimate are counted.
 * Returns {admitted (1/0), used per key (after counting when admitted)}.
 */
export const CHECK = new RedisScript(`
local estimate = tonumber(ARGV[1])
local used = {}
local admitted = 1
for i = 1, #KEYS do
  local kind = ARGV[i * 3 - 1]
  local limit = tonumber(ARGV[i * 3])
  local u = tonumber(redis.call('GET', KEYS[i]) or '0')
  used[i] = u
  if (kind == 'r' and u + 1 > limit) or (kind == 't' and u + estimate > limit) or (kind == 's' and u >= limit) then
    admitted = 0
  end
end
if admitted == 1 then
  for i = 1, #KEYS do
    local kind = ARGV[i * 3 - 1]
    local add = nil
    if kind == 'r' then add = '1' elseif kind == 't' and estimate > 0 then add = ARGV[1] end
    if add then
      used[i] = redis.call('INCRBY', KEYS[i], add)
      if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[i * 3 + 1]) end
    end
  end
end
local reply = {admitted}
for i = 1, #KEYS do reply[i + 1] = used[i] end
return reply
`);

/**
 * KEYS: counters to correct after the call (tokens: real minus estimated; spend: the cost).
 * ARGV: two per key: amount (may be negative), expiry in ms.
 */
export const SETTLE = new RedisScript(`
for i = 1, #KEYS do
  local add = tonumber(ARGV[i * 2 - 1])
  if add ~= 0 then
    redis.call('INCRBY', KEYS[i], ARGV[i * 2 - 1])
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[i * 2]) end
  end
end
return 1
`);

/** KEYS: counters to read. Returns their values (0 for none). */
export const READ = new RedisScript(`
local reply = {}
for i = 1, #KEYS do reply[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
return reply
`);
