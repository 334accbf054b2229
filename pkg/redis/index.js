// A shared rate limiter on Redis: every process, machine and service of the merchant that asks
// here before sending keeps, together, to TTPay's limit per app_id. One Lua script decides, on
// Redis's own clock (`TIME`), so the clocks of the callers do not matter. Pass your own client:
// this file imports nothing.
//
// The script grants a send only now, never later: it keeps the time of the app's last send and
// answers 0 (send now: recorded) when it is at least `intervalMs` ago, or else the ms until it
// will be (nothing recorded: ask again then). Nothing is reserved ahead, so an aborted caller, a
// lost process or a restarted Redis leaves no debt.

/**
 * The script. KEYS[1]: the app's key. ARGV[1]: the least ms between two sends (1 to 60000).
 * Anything else is refused with an error, before the key is touched; so is a key that holds
 * anything but a time.
 */
export const RATE_LIMIT_SCRIPT = `local interval = tonumber(ARGV[1])
if not interval or interval ~= interval or interval < 1 or interval > 60000 then
  return redis.error_reply('ttpay: bad arguments')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[1]) or '-1e300')
if not last or last ~= last then
  return redis.error_reply('ttpay: the key holds no time')
end
if now >= last + interval or last > now + interval then
  redis.call('SET', KEYS[1], now, 'PX', math.ceil(interval))
  return 0
end
return math.max(1, math.ceil(last + interval - now))`;

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
    async acquire(key, { intervalMs }) {
      const answer = await evaluate(RATE_LIMIT_SCRIPT, [keyPrefix + key], [String(intervalMs)]);
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
