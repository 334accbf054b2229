// A Cloudflare Worker: GET /?transactionId=… closes that order and answers with the typed
// result, or with the typed error (HTTP 502).
import { TTPayClient, TTPayError } from 'ttpay-wasm';

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
      return Response.json({ ok: false, error: err.toJSON() }, { status: 502 });
    }
  },
};
