import type { RateLimiter } from '../index.js';

/** The parts of a Durable Object namespace binding the adapter uses. */
export interface RateLimiterNamespace {
  idFromName(name: string): unknown;
  get(id: never): { take(ratePerSecond: number, maxWaitMs: number): Promise<number | false> };
}

/** The Durable Object class: export it from your Worker and bind it in wrangler.toml. */
export declare class TTPayRateLimiter {
  constructor(ctx: unknown, env: unknown);
  take(ratePerSecond: number, maxWaitMs: number): Promise<number | false>;
}

/** A shared `rateLimiter` on the `TTPayRateLimiter` Durable Object bound as `namespace`. */
export declare function durableObjectRateLimiter(namespace: RateLimiterNamespace): RateLimiter;
