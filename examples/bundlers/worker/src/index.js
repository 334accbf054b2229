// A Cloudflare Worker bundled by wrangler or @cloudflare/vite-plugin (see ../../README.md):
// GET /?order=… closes that order, then shows the typed error for an unknown one, and answers
// {"closed": …, "unknown": …}. A failure that is not the expected one answers 500 with the error.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

export default {
  async fetch(request, env) {
    const order = new URL(request.url).searchParams.get('order') ?? 'order-1001';
    const client = new TTPayClient({
      appId: env.TTPAY_APP_ID,
      appSecret: env.TTPAY_APP_SECRET,
      mchId: env.TTPAY_MCH_ID,
      baseUrl: env.TTPAY_BASE_URL,
    });
    try {
      const closed = await client.closeOrder({ transactionId: order });
      let unknown;
      try {
        await client.closeOrder({ transactionId: 'no-such-order' });
      } catch (err) {
        if (!(err instanceof TTPayError)) throw err;
        unknown = { kind: err.kind, code: err.code, msg: err.msg };
      }
      return Response.json({ closed, unknown });
    } catch (err) {
      const error = err instanceof TTPayError ? err.toJSON() : { name: err?.name, message: String(err?.message ?? err) };
      return Response.json({ error }, { status: 500 });
    }
  },
};
