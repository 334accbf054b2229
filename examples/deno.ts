// Deno: `deno run --allow-net --allow-env examples/deno.ts` in a project whose
// package.json depends on ttpay-wasm (or import it as `npm:ttpay-wasm`).
import { TTPayClient, TTPayError, type CloseOrderResult } from 'ttpay-wasm';

const env = (name: string, fallback: string): string => Deno.env.get(name) ?? fallback;
const client = new TTPayClient({
  appId: env('TTPAY_APP_ID', 'ttpay-demo-app'),
  appSecret: env('TTPAY_APP_SECRET', 'demo-secret-0123456789abcdefghij'), // the mock's demo app
  mchId: env('TTPAY_MCH_ID', '100001'),
  baseUrl: env('TTPAY_BASE_URL', 'http://127.0.0.1:8787'),
});

const closed: CloseOrderResult = await client.closeOrder({ transactionId: env('TTPAY_ORDER', 'order-1001') });

let unknown: { kind: string; code: number | null; msg: string | null } | undefined;
try {
  await client.closeOrder({ transactionId: 'no-such-order' });
} catch (err) {
  if (!(err instanceof TTPayError)) throw err;
  unknown = { kind: err.kind, code: err.code, msg: err.msg };
}

console.log(JSON.stringify({ closed, unknown }, null, 2));
