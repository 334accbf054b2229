// A shared rate limiter on a Cloudflare Durable Object: one object per appId (`idFromName`) hands
// out send slots to every Worker isolate, everywhere, one at a time. The object only does the
// arithmetic and keeps the next slot time in its storage; the Worker that asked does the waiting.
import { DurableObject } from 'cloudflare:workers';

/**
 * The Durable Object class. Export it from your Worker's main module and bind it (see the
 * README's wrangler.toml): `export { TTPayRateLimiter } from 'ttpay-wasm/durable-object'`.
 */
export class TTPayRateLimiter extends DurableObject {
  #next;

  /**
   * Reserves the next send slot: the ms to wait before sending, or `false` when the slot would
   * come later than `maxWaitMs` (nothing reserved). Called over RPC by `durableObjectRateLimiter`.
   */
  async take(ratePerSecond, maxWaitMs) {
    this.#next ??= (await this.ctx.storage.get('next')) ?? 0;
    const now = Date.now();
    const at = Math.max(this.#next, now);
    const wait = at - now;
    if (wait > maxWaitMs) return false;
    this.#next = at + 1000 / ratePerSecond;
    // Not awaited: the output gate holds this reply until the write is durable, and the object
    // answers the next caller from memory meanwhile.
    this.ctx.storage.put('next', this.#next);
    return wait;
  }
}

/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })` in a Worker.
 * @param {DurableObjectNamespace} namespace the binding of the TTPayRateLimiter class
 */
export function durableObjectRateLimiter(namespace) {
  return {
    take: (key, { ratePerSecond, maxWaitMs }) =>
      namespace.get(namespace.idFromName(key)).take(ratePerSecond, maxWaitMs),
  };
}
