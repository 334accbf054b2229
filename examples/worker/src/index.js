// A Cloudflare Worker: GET /?transactionId=… closes that order and answers with the typed
// result, or with the typed error and an HTTP status chosen by its kind.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

// The status this Worker answers for each kind of failure (any other kind: 502).
const STATUS = { invalid_argument: 400, api: 422, aborted: 499, timeout: 504 };

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
    });
    try {
      const result = await client.closeOrder({ transactionId });
      return Response.json({ ok: true, result });
    } catch (err) {
      if (!(err instanceof TTPayError)) throw err;
      // toJSON() carries kind, code, msg, requestId…: never the secret.
      return Response.json({ ok: false, error: err }, { status: STATUS[err.kind] ?? 502 });
    }
  },
};
