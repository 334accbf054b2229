// A browser page bundled by Vite (build and dev server), webpack 5 or esbuild (see ../README.md):
// close an order, then show the typed error for an unknown one, as JSON in #result.
// For tests against the local mock only: an APP_SECRET belongs on a server, never in a page.
// The page calls its own origin, which forwards /v1/transaction/close to the mock (the mock sends
// no CORS headers); `?order=` names the order to close, `?baseUrl=` another TTPay.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

const params = new URLSearchParams(location.search);
const output = document.getElementById('result');

async function main() {
  const client = new TTPayClient({
    appId: 'ttpay-demo-app',
    appSecret: 'demo-secret-0123456789abcdefghij', // the mock's demo app
    mchId: '100001',
    baseUrl: params.get('baseUrl') ?? location.origin,
  });
  const closed = await client.closeOrder({ transactionId: params.get('order') ?? 'order-1001' });
  let unknown;
  try {
    await client.closeOrder({ transactionId: 'no-such-order' });
  } catch (err) {
    if (!(err instanceof TTPayError)) throw err;
    unknown = { kind: err.kind, code: err.code, msg: err.msg };
  }
  return { closed, unknown };
}

main().then(
  (value) => {
    output.textContent = JSON.stringify(value, null, 2);
    document.body.dataset.done = 'ok';
  },
  (err) => {
    output.textContent = String(err?.stack ?? err);
    document.body.dataset.done = 'error';
  },
);
