// The CommonJS entry: `require('ttpay-wasm')` works without top-level await, and `import` in the
// same process yields the very same classes.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { TTPayClient, TTPayError, closeOrder } = require('ttpay-wasm');

test('require() closes an order and rejects with the shared TTPayError', async (t) => {
  const { startMockServer, DEMO_APP } = require('ttpay-wasm/mock');
  const mock = await startMockServer({ lifetimeMs: 60_000 });
  t.after(() => mock.close());
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url });
  const result = await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(result.code, 0);
  assert.equal(mock.order('order-1001').state, 'CLOSED');

  const err = await closeOrder({ ...DEMO_APP, baseUrl: mock.url, transactionId: 'nope' }).catch((e) => e);
  assert.ok(err instanceof TTPayError);
  assert.equal(err.kind, 'api');
  assert.equal(err.code, 12002);

  const esm = await import('ttpay-wasm');
  assert.equal(esm.TTPayError, TTPayError, 'one class across import and require');
  assert.equal(esm.TTPayClient, TTPayClient);
});
