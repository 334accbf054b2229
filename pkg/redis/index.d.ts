import type { RateLimiter } from '../index.js';

/** The Lua script that decides, on Redis's clock; share it with every service that calls TTPay. */
export declare const RATE_LIMIT_SCRIPT: string;
/** `'ttpay:rate:'`: an app's key is this prefix and its appId. */
export declare const DEFAULT_KEY_PREFIX: string;

/** What the adapter needs of a Redis client: an ioredis or a node-redis (v4+) client. */
export type RedisClientLike =
  | { eval(script: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>; defineCommand(...args: never[]): unknown }
  | { eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown> };

/** Or a function that runs a script: `(script, keys, args) => Promise<number>`. */
export type RedisEval = (script: string, keys: string[], args: string[]) => Promise<unknown>;

/** A shared `rateLimiter` on Redis (one Lua script, Redis's own clock). */
export declare function redisRateLimiter(client: RedisClientLike | RedisEval, options?: { keyPrefix?: string }): RateLimiter;
