// A shared rate limiter on Redis: every process, machine and service of the merchant that asks
// here before sending keeps, together, to TTPay's limit per app_id. One Lua script decides, on
// Redis's own clock (`TIME`), so the clocks of the callers do not matter. Pass your own client:
// this file imports nothing.
//
// The script grants a send only now, never later: it keeps the time of the app's last send and
// answers 0 (send now: recorded) when it is at least `intervalMs` ago, or else the ms until the
// asker should ask again (nothing reserved). The processes asking take turns: each asker (one per
// process) joins the key's queue when it first asks, and a free send goes to the first of them;
// only when that one is more than a quarter interval late may another take it. An asker that stops
// asking leaves the queue two intervals later. So an aborted caller, a lost process or a restarted
// Redis leaves no debt, and no process waits behind the others for more than its turn. A grant may
// ask to count up to an interval later (`holdMs`: a send that opens a connection leaves late), so
// the key never holds a time more than an interval ahead.

/**
 * The script. KEYS[1]: the app's key (a hash: `last`, the last grant's time, and `w:<asker>`,
 * "<joined> <seen>" per asker in the queue). ARGV[1]: the least ms between two sends (1 to
 * 60000). ARGV[2], optional: the asker's id (1 to 64 of `A-Za-z0-9_-`, or empty); without it the
 * caller takes no turn (a free send is its own). ARGV[3], optional: ms from 0 to the interval by
 * which a grant counts later. Anything else is refused with an error before the key is touched;
 * so is a key that holds anything but this.
 */
export const RATE_LIMIT_SCRIPT = `local interval = tonumber(ARGV[1])
local asker = ARGV[2]
if asker == '' then asker = nil end
local hold = tonumber(ARGV[3] or '0')
if not interval or interval ~= interval or interval < 1 or interval > 60000
  or not hold or hold ~= hold or hold < 0 or hold > interval
  or (asker and (#asker > 64 or not string.match(asker, '^[%w_-]+$'))) then
  return redis.error_reply('ttpay: bad arguments')
end
local key = KEYS[1]
local kind = redis.call('TYPE', key)['ok']
if kind ~= 'hash' and kind ~= 'none' then
  return redis.error_reply('ttpay: the key holds no time')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stamp = string.format('%.0f', now)
local me = asker and ('w:' .. asker)
local fields = redis.call('HGETALL', key)
local last = -1e300
for i = 1, #fields, 2 do
  if fields[i] == 'last' then
    last = tonumber(fields[i + 1])
    if not last or last ~= last then
      return redis.error_reply('ttpay: the key holds no time')
    end
  end
end
local front, first, mine
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  if name ~= 'last' then
    local joined, seen = string.match(value, '^(%d+) (%d+)$')
    joined, seen = tonumber(joined), tonumber(seen)
    if not joined or seen < now - 2 * interval or seen > now + interval then
      redis.call('HDEL', key, name)
    else
      if name == me then mine = joined end
      if not front or joined < first or (joined == first and name < front) then
        front, first = name, joined
      end
    end
  end
end
if me then
  local joined = mine or now
  redis.call('HSET', key, me, string.format('%.0f', joined) .. ' ' .. stamp)
  if not front or joined < first or (joined == first and me < front) then
    front, first = me, joined
  end
end
redis.call('PEXPIRE', key, math.ceil(3 * interval))
local free = last + interval
if last > now + 2 * interval then free = now end
local grace = interval / 4
local mine = not me or front == me
if now >= free and (mine or now >= free + grace) then
  redis.call('HSET', key, 'last', string.format('%.0f', now + hold))
  if me then redis.call('HDEL', key, me) end
  return 0
end
local at = free
if not mine then
  if now < free then at = free + interval / 10 else at = free + grace end
end
return math.max(1, math.min(interval, math.ceil(at - now)))`;

/** The key of an app's sends: share it (and the script) with every service that calls TTPay. */
export const DEFAULT_KEY_PREFIX = 'ttpay:rate:';

/** `(script, keys, args) => Promise<unknown>` from an ioredis or node-redis client, or a function. */
function evaluator(client) {
  if (typeof client === 'function') return client;
  if (client !== null && typeof client === 'object' && typeof client.eval === 'function') {
    // ioredis: eval(script, numberOfKeys, ...keys, ...args)
    if (typeof client.defineCommand === 'function') {
      return (script, keys, args) => client.eval(script, keys.length, ...keys, ...args);
    }
    // node-redis v4 and later: eval(script, { keys, arguments })
    return (script, keys, args) => client.eval(script, { keys, arguments: args });
  }
  throw new TypeError('redisRateLimiter: pass an ioredis client, a node-redis client, or an eval(script, keys, args) function');
}



/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })`.
 * @param {object | Function} client an ioredis or node-redis (v4+) client, or `eval(script, keys, args)`
 * @param {{ keyPrefix?: string }} [options]
 */
export function redisRateLimiter(client, { keyPrefix = DEFAULT_KEY_PREFIX } = {}) {
  const evaluate = evaluator(client);
  return {
    async acquire(key, { intervalMs, asker, holdMs }) {
      const args = [String(intervalMs), typeof asker === 'string' ? asker : '', String(holdMs ?? 0)];
      const answer = await evaluate(RATE_LIMIT_SCRIPT, [keyPrefix + key], args);
      // Exactly the script's reply: an integer from 0 to the interval. Anything else (nil, a
      // string, a table, a number out of range: another script on the key, a proxy, a broken
      // client) is a failure the client's onRateLimiterError handles, never "send now".
      const most = Math.ceil(intervalMs);
      if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0 || answer > most) {
        throw new TypeError(`redisRateLimiter: the script answered ${describe(answer)}, not a wait of 0 to ${most} ms`);
      }
      return answer;
    },
  };
}

function describe(v) {
  if (Array.isArray(v)) return 'an array';
  if (v === null || v === undefined) return String(v);
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : `${typeof v} ${String(v).slice(0, 40)}`;
}
