// `make demo`: the mock TTPay on 127.0.0.1:8787, one seeded order closed through the package,
// the typed result and a typed error printed; then the mock keeps serving until Ctrl-C.
import { TTPayClient, TTPayError } from 'ttpay-wasm';
import { DEMO_APP } from 'ttpay-wasm/mock';
import { startDemoServer } from './demo-server.mjs';

const port = Number(process.env.TTPAY_MOCK_PORT ?? 8787);
const mock = await startDemoServer({ port });
console.log(`mock TTPay listening on ${mock.url}`);
console.log(`demo page: ${mock.url}/  (open it in a browser)`);
console.log(`demo app: appId=${DEMO_APP.appId} mchId=${DEMO_APP.mchId} (appSecret: see DEMO_APP in ttpay-wasm/mock)`);
console.log('seeded orders:', mock.orders().map((o) => `${o.transactionId}=${o.state}`).join(', '));

const client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url });
const result = await client.closeOrder({ transactionId: 'order-1001' });
console.log('\nclient.closeOrder({ transactionId: "order-1001" }) →', result);
console.log('order-1001 is now', mock.order('order-1001').state);

try {
  await client.closeOrder({ transactionId: 'order-2001' });
} catch (err) {
  if (!(err instanceof TTPayError)) throw err;
  const { kind, code, msg, requestId, retryable } = err;
  console.log('\nclient.closeOrder({ transactionId: "order-2001" }) rejects with TTPayError', { kind, code, msg, requestId, retryable });
}

console.log(`\nThe mock keeps running on ${mock.url} (state: ${mock.url}/_mock/orders). Ctrl-C to stop.`);
const stop = async () => {
  await mock.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
