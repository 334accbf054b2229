import type { RateLimiter } from '../index.js';

/** The parts of a Durable Object namespace binding the adapter uses. */
export interface RateLimiterNamespace {
  idFromName(name: string): unknown;
  get(id: never): { acquire(intervalMs: number, asker?: string, holdMs?: number): Promise<number> };
}

/** The Durable Object class: export it from your Worker and bind it in wrangler.toml. */
export declare class TTPayRateLimiter {
  constructor(ctx: unknown, env: unknown);
  /**
   * 0: send now (recorded); otherwise the ms until asking again. The askers (one id per Worker
   * isolate) take turns; a grant counts `holdMs` (0 to intervalMs) later. Throws for unusable
   * arguments.
   */
  acquire(intervalMs: number, asker?: string, holdMs?: number): Promise<number>;
}

/** A shared `rateLimiter` on the `TTPayRateLimiter` Durable Object bound as `namespace`. */
export declare function durableObjectRateLimiter(namespace: RateLimiterNamespace): RateLimiter;
