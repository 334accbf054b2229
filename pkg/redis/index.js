// A shared rate limiter on Redis: every process, machine and service of the merchant that asks
// here before sending keeps, together, to TTPay's limit per app_id. One Lua script decides, on
// Redis's own clock (`TIME`), so the clocks of the callers do not matter. Pass your own client:
// this file imports nothing.
//
// The script grants a send only now, never later: it keeps the times of the last `limit` sends
// (a sorted set) and answers 0 (send now: recorded) or the ms until the oldest leaves the window
// (nothing recorded: ask again then). Nothing is reserved ahead, so an aborted caller, a lost
// process or a restarted Redis leaves no debt.

/**
 * The script. KEYS[1]: the app's key. ARGV[1]: the most sends in any window (a whole number from
 * 1 to 1000). ARGV[2]: the window in ms (1 to 60000). ARGV[3]: a unique id for this send.
 * Anything else is refused with an error, before the key is touched.
 */
export const RATE_LIMIT_SCRIPT = `local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if not limit or not window or limit ~= limit or window ~= window
  or limit < 1 or limit > 1000 or limit % 1 ~= 0 or window < 1 or window > 60000
  or type(ARGV[3]) ~= 'string' or #ARGV[3] == 0 or #ARGV[3] > 64 then
  return redis.error_reply('ttpay: bad arguments')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window))
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return math.max(1, math.ceil(oldest + window - now))`;

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

// A member no other send in the window shares: a per-process random prefix and a counter (not a
// secret: Math.random serves, and Node 18 has no global crypto).
const PREFIX = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
let sends = 0;
const sendId = () => `${PREFIX}:${(sends = (sends + 1) % Number.MAX_SAFE_INTEGER)}`;

/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })`.
 * @param {object | Function} client an ioredis or node-redis (v4+) client, or `eval(script, keys, args)`
 * @param {{ keyPrefix?: string }} [options]
 */
export function redisRateLimiter(client, { keyPrefix = DEFAULT_KEY_PREFIX } = {}) {
  const evaluate = evaluator(client);
  return {
    async acquire(key, { limit, windowMs }) {
      const answer = await evaluate(RATE_LIMIT_SCRIPT, [keyPrefix + key], [String(limit), String(windowMs), sendId()]);
      // Exactly the script's reply: an integer from 0 to the window. Anything else (nil, a
      // string, a table, a number out of range: another script on the key, a proxy, a broken
      // client) is a failure the client's onRateLimiterError handles, never "send now".
      if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0 || answer > Math.ceil(windowMs)) {
        throw new TypeError(`redisRateLimiter: the script answered ${describe(answer)}, not a wait of 0 to ${Math.ceil(windowMs)} ms`);
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
