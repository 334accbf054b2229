// Node.js (ESM): close an order, then show the typed error for an unknown one.
// Against the local mock: `make demo` in one terminal, `node examples/node-esm.mjs` in another.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

const env = process.env;
const client = new TTPayClient({
  appId: env.TTPAY_APP_ID ?? 'ttpay-demo-app',
  appSecret: env.TTPAY_APP_SECRET ?? 'demo-secret-0123456789abcdefghij', // the mock's demo app
  mchId: env.TTPAY_MCH_ID ?? '100001',
  baseUrl: env.TTPAY_BASE_URL ?? 'http://127.0.0.1:8787',
});

const closed = await client.closeOrder({ transactionId: env.TTPAY_ORDER ?? 'order-1001' });

let unknown;
try {
  await client.closeOrder({ transactionId: 'no-such-order' });
} catch (err) {
  if (!(err instanceof TTPayError)) throw err;
  unknown = { kind: err.kind, code: err.code, msg: err.msg };
}

console.log(JSON.stringify({ closed, unknown }, null, 2));
