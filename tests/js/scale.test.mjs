// Many calls through one wasm instance: concurrency without loss, and no memory growth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnostics } from 'ttpay-wasm';
import { clientFor, mockFor } from './helpers.mjs';

test('1,000 concurrent closeOrder calls on distinct orders: all succeed, each order closed once', async (t) => {
  const orders = Array.from({ length: 1000 }, (_, i) => ({ transactionId: `bulk-${i}`, state: 'NOTPAY' }));
  const mock = await mockFor(t, { orders });
  const client = clientFor(mock, { timeoutMs: 30_000 });
  const results = await Promise.all(orders.map((o) => client.closeOrder({ transactionId: o.transactionId })));
  assert.equal(results.length, 1000);
  assert.ok(results.every((r) => r.code === 0 && r.verified && r.attempts === 1));
  assert.equal(new Set(results.map((r) => r.requestId)).size, 1000);
  const state = mock.orders();
  assert.ok(state.every((o) => o.state === 'CLOSED' && o.closedCount === 1));
});

test('10,000 sequential calls: the wasm linear memory does not keep growing', async (t) => {
  const mock = await mockFor(t, { orders: [{ transactionId: 'seq', state: 'NOTPAY' }] });
  const client = clientFor(mock);
  const call = (i) =>
    // Alternate success and a typed error, so both paths are exercised.
    client.closeOrder({ transactionId: i % 2 ? 'seq' : 'missing' }).catch((e) => {
      assert.equal(e.code, 12002);
    });
  for (let i = 0; i < 200; i++) await call(i); // warm up the allocator
  const before = diagnostics().wasmMemoryBytes;
  for (let i = 0; i < 10_000; i++) await call(i);
  const after = diagnostics().wasmMemoryBytes;
  console.log(`wasm memory: ${before} bytes before, ${after} bytes after 10,000 calls`);
  assert.equal(after, before, 'wasm memory grew');
});
