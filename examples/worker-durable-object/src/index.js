// A Cloudflare Worker that keeps TTPay's rate limit (5 requests per second per appId) across all
// of its isolates: before each send it asks the TTPayRateLimiter Durable Object, which grants sends
// only now (5 in any 1050 ms by default).
// GET /?transactionId=… closes that order and answers with the typed result, or with the typed
// error (HTTP 502).
import { TTPayClient, TTPayError } from 'ttpay-wasm';
import { durableObjectRateLimiter } from 'ttpay-wasm/durable-object';

// The Durable Object class is exported from the Worker's main module, as wrangler.toml binds it.
export { TTPayRateLimiter } from 'ttpay-wasm/durable-object';

export default {
  async fetch(request, env) {
    const transactionId = new URL(request.url).searchParams.get('transactionId') ?? undefined;
    const client = new TTPayClient({
      appId: env.TTPAY_APP_ID,
      appSecret: env.TTPAY_APP_SECRET,
      mchId: env.TTPAY_MCH_ID,
      baseUrl: env.TTPAY_BASE_URL,
      rateLimiter: durableObjectRateLimiter(env.TTPAY_LIMITER),
      // The whole call, the wait for a slot included: a burst larger than 50 calls (10 s at 5/s)
      // fails fast as a `timeout` instead of queueing on.
      deadlineMs: 10_000,
    });
    try {
      const result = await client.closeOrder({ transactionId });
      return Response.json({ ok: true, result });
    } catch (err) {
      if (!(err instanceof TTPayError)) throw err;
      return Response.json({ ok: false, error: err.toJSON() }, { status: 502 });
    }
  },
};
