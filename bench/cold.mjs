// One cold start, in a fresh process: import, initialise, make and sign the first request.
// `<runtime> bench/cold.mjs sdk|peer|reference|empty`; the harness times the whole process. Runs
// in Node, Bun and Deno alike. The SDK and the peer each close one order through an injected fetch
// that answers at once (the same unsigned success reply for both); the reference only signs.
const which = globalThis.Deno ? Deno.args[0] : process.argv[2];
const APP = { appId: 'ttpay-demo-app', appSecret: 'demo-secret-0123456789abcdefghij', mchId: '100001' };
const text = '{"code":0,"msg":"success","request_id":"r"}';

if (which === 'sdk') {
  const { TTPayClient } = await import('ttpay-wasm');
  // The injected fetch receives the request once it is built and signed, and answers it at once.
  const body = new TextEncoder().encode(text);
  const reply = { status: 200, headers: { get: () => null }, body: null, arrayBuffer: async () => body.buffer };
  let authorization;
  const fetch = async (url, init) => ((authorization = init.headers.Authorization), reply);
  await new TTPayClient({ ...APP, fetch, rateLimitPerSecond: null, maxRetries: 0 }).closeOrder({ transactionId: 'order-bench' });
  if (!authorization?.startsWith('TTPAY-AES-256-ECB ')) throw new Error('not signed');
} else if (which === 'peer') {
  const { createPeerClient } = await import('./peer.mjs');
  const reply = { status: 200, headers: { get: () => null }, text: async () => text };
  let authorization;
  const fetch = async (url, init) => ((authorization = init.headers.authorization), reply);
  await createPeerClient({ ...APP, fetch }).closeOrder('order-bench');
  if (!authorization?.startsWith('TTPAY-AES-256-ECB ')) throw new Error('not signed');
} else if (which === 'reference') {
  const { signAuthorization } = await import('./reference.mjs');
  const body = JSON.stringify({ app_id: APP.appId, mch_id: APP.mchId, transaction_id: 'order-bench' });
  if (!signAuthorization(APP, body).startsWith('TTPAY-AES-256-ECB ')) throw new Error('not signed');
} else if (which !== 'empty') {
  throw new Error(`unknown cold start ${which}`);
}
