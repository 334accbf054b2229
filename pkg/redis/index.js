// A shared rate limiter on Redis: every process, machine and service of the merchant that takes
// its send slots here keeps, together, to TTPay's limit per app_id. One Lua script decides, on
// Redis's own clock (`TIME`), so the clocks of the callers do not matter. Pass your own client:
// this file imports nothing.

/**
 * The script. KEYS[1]: the app's key. ARGV[1]: ms between two sends (1000 / rate). ARGV[2]: the
 * longest wait the caller accepts, in ms (-1: any). Returns the ms to wait before sending (that
 * slot is now reserved), or -1 when the slot would come later than ARGV[2] (nothing reserved).
 * It keeps one number per key: the time of the next free slot, in ms on Redis's clock.
 */
export const RATE_LIMIT_SCRIPT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local next_slot = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(next_slot, now)
local wait = at - now
if max_wait >= 0 and wait > max_wait then
  return -1
end
redis.call('SET', KEYS[1], string.format('%.3f', at + interval), 'PX', math.ceil(wait + interval) + 60000)
return math.ceil(wait)`;

/** The key of an app's slots: share it (and the script) with every service that calls TTPay. */
export const DEFAULT_KEY_PREFIX = 'ttpay:rate:';

/** `(script, keys, args) => Promise<number>` from an ioredis or node-redis client, or a function. */
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
    async take(key, { ratePerSecond, maxWaitMs }) {
      const interval = String(1000 / ratePerSecond);
      const maxWait = String(Number.isFinite(maxWaitMs) ? Math.max(0, Math.floor(maxWaitMs)) : -1);
      const wait = Number(await evaluate(RATE_LIMIT_SCRIPT, [keyPrefix + key], [interval, maxWait]));
      return wait < 0 ? false : wait;
    },
  };
}
