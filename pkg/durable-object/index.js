// A shared rate limiter on a Cloudflare Durable Object: one object per appId (`idFromName`) decides
// for every Worker isolate, everywhere, one request at a time. It keeps the time of the app's last
// send and grants a send only now, never later: it answers 0 (send now: recorded) when that is at
// least `intervalMs` ago, or else the ms until asking again (nothing recorded). The isolates asking
// take turns, as with the Redis script (ttpay-wasm/redis): each asker joins a queue when it first
// asks, a free send goes to the first of them unless it is more than a quarter interval late, and
// an asker that stops asking leaves the queue two intervals later. A grant may ask to count up to an
// interval later (`holdMs`: a send that opens a connection leaves late).
import { DurableObject } from 'cloudflare:workers';

const MAX_INTERVAL_MS = 60_000;
const ASKER = /^[\w-]{1,64}$/;

/**
 * The Durable Object class. Export it from your Worker's main module and bind it (see the
 * README's wrangler.toml): `export { TTPayRateLimiter } from 'ttpay-wasm/durable-object'`.
 */
export class TTPayRateLimiter extends DurableObject {
  #last;
  /** asker → { joined, seen }, in the order they joined. Memory only: a restart empties it. */
  #queue = new Map();

  /**
   * A send now, or how long until asking again. Called over RPC by `durableObjectRateLimiter`.
   * Throws for an interval or asker it cannot use, before anything is read or stored.
   */
  async acquire(intervalMs, asker, holdMs = 0) {
    if (typeof intervalMs !== 'number' || !(intervalMs >= 1 && intervalMs <= MAX_INTERVAL_MS)) {
      throw new RangeError(`TTPayRateLimiter: intervalMs must be a number of ms from 1 to ${MAX_INTERVAL_MS}`);
    }
    if (typeof holdMs !== 'number' || !(holdMs >= 0 && holdMs <= intervalMs)) {
      throw new RangeError('TTPayRateLimiter: holdMs must be a number of ms from 0 to intervalMs');
    }
    if (asker !== undefined && (typeof asker !== 'string' || !ASKER.test(asker))) {
      throw new TypeError('TTPayRateLimiter: asker must be 1 to 64 of A-Z, a-z, 0-9, _ and -');
    }
    if (this.#last === undefined) {
      const stored = await this.ctx.storage.get('last');
      this.#last = Number.isFinite(stored) ? stored : -Infinity;
    }
    const now = Date.now();
    const queue = this.#queue;
    if (asker !== undefined) {
      const mine = queue.get(asker);
      if (mine) mine.seen = now;
      else queue.set(asker, { joined: now, seen: now });
    }
    let front;
    for (const [id, { seen }] of queue) {
      if (seen < now - 2 * intervalMs || seen > now + intervalMs) queue.delete(id);
      else front ??= id;
    }
    const free = this.#last > now + 2 * intervalMs ? now : this.#last + intervalMs;
    const grace = intervalMs / 4;
    const first = asker === undefined || front === undefined || front === asker;
    if (now >= free && (first || now >= free + grace)) {
      this.#last = now + holdMs;
      if (asker !== undefined) queue.delete(asker);
      // Not awaited: the output gate holds this reply until the write is durable, and the object
      // answers the next caller from memory meanwhile.
      this.ctx.storage.put('last', this.#last);
      return 0;
    }
    const at = first ? free : now < free ? free + intervalMs / 10 : free + grace;
    return Math.max(1, Math.min(intervalMs, Math.ceil(at - now)));
  }
}

/**
 * A `rateLimiter` for `new TTPayClient({ rateLimiter })` in a Worker.
 * @param {DurableObjectNamespace} namespace the binding of the TTPayRateLimiter class
 */
export function durableObjectRateLimiter(namespace) {
  return {
    acquire: (key, { intervalMs, asker, holdMs }) => namespace.get(namespace.idFromName(key)).acquire(intervalMs, asker, holdMs),
  };
}
