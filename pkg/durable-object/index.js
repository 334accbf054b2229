// A shared rate limiter on a Cloudflare Durable Object: one object per appId (`idFromName`) decides
// for every Worker isolate, everywhere, one request at a time. It keeps the times of the last
// `limit` sends and grants a send only now, never later: it answers 0 (send now: recorded) or the
// ms until the oldest send leaves the window (nothing recorded: the Worker asks again then).
import { DurableObject } from 'cloudflare:workers';

const MAX_LIMIT = 1000;
const MAX_WINDOW_MS = 60_000;

/** Whole sends from 1 to 1000 in a window of 1 to 60,000 ms: anything else is refused. */
function checked(limit, windowMs) {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`TTPayRateLimiter: limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  if (typeof windowMs !== 'number' || !(windowMs >= 1 && windowMs <= MAX_WINDOW_MS)) {
    throw new RangeError(`TTPayRateLimiter: windowMs must be a number of ms from 1 to ${MAX_WINDOW_MS}`);
  }
}

/** What storage held, if it is a list of send times; an empty list otherwise. */
function sendTimes(stored) {
  return Array.isArray(stored) && stored.length <= MAX_LIMIT && stored.every(Number.isFinite) ? stored : [];
}

/**
 * The Durable Object class. Export it from your Worker's main module and bind it (see the
 * README's wrangler.toml): `export { TTPayRateLimiter } from 'ttpay-wasm/durable-object'`.
 */
export class TTPayRateLimiter extends DurableObject {
  #sends;

  /**
   * A send now, or how long until one may be. Called over RPC by `durableObjectRateLimiter`.
   * Throws for arguments it cannot use, before anything is read or stored.
   */
  async acquire(limit, windowMs) {
    checked(limit, windowMs);
    this.#sends ??= sendTimes(await this.ctx.storage.get('sends'));
    const now = Date.now();
    const recent = this.#sends.filter((t) => t > now - windowMs && t <= now + windowMs);
    if (recent.length < limit) {
      recent.push(now);
      this.#sends = recent.slice(-limit);
      // Not awaited: the output gate holds this reply until the write is durable, and the object
      // answers the next caller from memory meanwhile.
      this.ctx.storage.put('sends', this.#sends);
      return 0;
    }
    this.#sends = recent;
    return Math.min(windowMs, Math.max(1, Math.ceil(recent[recent.length - limit] + windowMs - now)));
  }
}

/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })` in a Worker.
 * @param {DurableObjectNamespace} namespace the binding of the TTPayRateLimiter class
 */
export function durableObjectRateLimiter(namespace) {
  return {
    acquire: (key, { limit, windowMs }) => namespace.get(namespace.idFromName(key)).acquire(limit, windowMs),
  };
}
