// A shared rate limiter on a Cloudflare Durable Object: one object per appId (`idFromName`) decides
// for every Worker isolate, everywhere, one request at a time. It keeps the time of the app's last
// send and grants a send only now, never later: it answers 0 (send now: recorded) when that is at
// least `intervalMs` ago, or else the ms until it will be (nothing recorded: the Worker asks again).
import { DurableObject } from 'cloudflare:workers';

const MAX_INTERVAL_MS = 60_000;

/**
 * The Durable Object class. Export it from your Worker's main module and bind it (see the
 * README's wrangler.toml): `export { TTPayRateLimiter } from 'ttpay-wasm/durable-object'`.
 */
export class TTPayRateLimiter extends DurableObject {
  #last;

  /**
   * A send now, or how long until one may be. Called over RPC by `durableObjectRateLimiter`.
   * Throws for an interval it cannot use, before anything is read or stored.
   */
  async acquire(intervalMs) {
    if (typeof intervalMs !== 'number' || !(intervalMs >= 1 && intervalMs <= MAX_INTERVAL_MS)) {
      throw new RangeError(`TTPayRateLimiter: intervalMs must be a number of ms from 1 to ${MAX_INTERVAL_MS}`);
    }
    if (this.#last === undefined) {
      const stored = await this.ctx.storage.get('last');
      this.#last = Number.isFinite(stored) ? stored : -Infinity;
    }
    const now = Date.now();
    if (now >= this.#last + intervalMs || this.#last > now + intervalMs) {
      this.#last = now;
      // Not awaited: the output gate holds this reply until the write is durable, and the object
      // answers the next caller from memory meanwhile.
      this.ctx.storage.put('last', now);
      return 0;
    }
    return Math.max(1, Math.ceil(this.#last + intervalMs - now));
  }
}

/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })` in a Worker.
 * @param {DurableObjectNamespace} namespace the binding of the TTPayRateLimiter class
 */
export function durableObjectRateLimiter(namespace) {
  return {
    acquire: (key, { intervalMs }) => namespace.get(namespace.idFromName(key)).acquire(intervalMs),
  };
}
