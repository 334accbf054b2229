// A Cloudflare Worker that keeps TTPay's rate limit (5 requests per second per appId) across all
// of its isolates: before each send it asks the TTPayRateLimiter Durable Object, which grants sends
// only now (5 in any 1050 ms by default).
// GET /?transactionId=… with `Authorization: Bearer <WORKER_TOKEN>` closes that order and answers with the typed result, or with the typed
// error (HTTP 502).
import { TTPayClient, TTPayError } from 'ttpay-wasm';
import { durableObjectRateLimiter } from 'ttpay-wasm/durable-object';

// The Durable Object class is exported from the Worker's main module, as wrangler.toml binds it.
export { TTPayRateLimiter } from 'ttpay-wasm/durable-object';

/** Whether `request` carries `Authorization: Bearer <WORKER_TOKEN>`, compared in constant time. */
function authorized(request, token) {
  const enc = new TextEncoder();
  const given = enc.encode(request.headers.get('authorization') ?? '');
  const wanted = enc.encode(`Bearer ${token ?? ''}`);
  // No token configured: nobody is let in. A length mismatch still walks the whole input.
  let diff = token ? given.length ^ wanted.length : 1;
  for (let i = 0; i < given.length; i++) diff |= given[i] ^ wanted[i % wanted.length];
  return diff === 0;
}

export default {
  async fetch(request, env) {
    // Anyone who can reach this Worker could otherwise close any order: callers must hold the
    // shared WORKER_TOKEN (`wrangler secret put WORKER_TOKEN`).
    if (!authorized(request, env.WORKER_TOKEN)) return new Response('unauthorized', { status: 401 });
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
