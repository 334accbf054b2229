// The Workers bench, SDK side: every request closes one order through the package's workerd
// entry. The client is made once per isolate (limiting off: this is a benchmark, not TTPay).
import { TTPayClient } from 'ttpay-wasm';

let client;

export default {
  async fetch(request, env) {
    client ??= new TTPayClient({ appId: env.TTPAY_APP_ID, appSecret: env.TTPAY_APP_SECRET, mchId: env.TTPAY_MCH_ID, baseUrl: env.TTPAY_BASE_URL, rateLimitPerSecond: null });
    const result = await client.closeOrder({ transactionId: new URL(request.url).searchParams.get('transactionId') ?? undefined });
    return Response.json(result);
  },
};
