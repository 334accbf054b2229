// A Cloudflare Worker: GET /?transactionId=… closes that order and answers with the typed
// result, or with the typed error and an HTTP status chosen by its kind.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

// The status this Worker answers for each kind of failure (any other kind: 502).
const STATUS = { invalid_argument: 400, api: 422, aborted: 499, timeout: 504 };

export default {
  async fetch(request, env) {
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
