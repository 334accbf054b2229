// The client-side rate limiter and the observability hooks, through the built package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TTPayClient } from 'ttpay-wasm';
import { startMockServer } from 'ttpay-wasm/mock';
import { DEMO_APP, assertTTPayError, clientFor, mockFor, rejection } from './helpers.mjs';

/** An app of its own, so the process-wide bucket of one test does not touch another's. */
async function appMock(t, appId, orders = 10) {
  const app = { appId, appSecret: 'limit-secret-0123456789abcdefghi', mchId: '7' };
  const list = Array.from({ length: orders }, (_, i) => ({ transactionId: `o-${i}`, state: 'NOTPAY' }));
  const mock = await startMockServer({ apps: [app], orders: list, lifetimeMs: 60_000 });
  t.after(() => mock.close());
  return { app, mock };
}

test('the limiter paces requests of one appId across every client: 10 calls at 5/s take 1.8 s', async (t) => {
  const { app, mock } = await appMock(t, 'limited-app');
  const a = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 5 });
  const b = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 5 });
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).closeOrder({ transactionId: `o-${i}` })));
  const elapsed = performance.now() - started;
  assert.ok(results.every((r) => r.code === 0));
  // One slot every 200 ms from the first, no burst: the 10th starts at 1800 ms. A lower bound
  // cannot flake.
  assert.ok(elapsed >= 1750, `10 calls at 5/s finished in ${Math.round(elapsed)} ms`);
  assert.equal(mock.orders().filter((o) => o.state === 'CLOSED').length, 10);
});

test('rateLimitPerSecond: null turns the limiter off', async (t) => {
  const { app, mock } = await appMock(t, 'unlimited-app');
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: null });
  const started = performance.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => client.closeOrder({ transactionId: `o-${i}` })));
  assert.ok(performance.now() - started < 900, 'no spacing without the limiter');
});

test("the caller's signal ends a rate-limit wait at once, and nothing is sent for it", async (t) => {
  const { app, mock } = await appMock(t, 'slow-app');
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 1 });
  await client.closeOrder({ transactionId: 'o-0' }); // the next slot is a second away
  const controller = new AbortController();
  const pending = client.closeOrder({ transactionId: 'o-1' }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const err = await rejection(pending);
  assertTTPayError(err, 'aborted', { attempts: 0 });
  assert.equal(mock.stats().apiRequests, 1);
  assert.equal(mock.order('o-1').state, 'NOTPAY');
});

test('a rate-limit wait longer than deadlineMs fails at once as a timeout', async (t) => {
  const { app, mock } = await appMock(t, 'deadline-app');
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 1, deadlineMs: 200 });
  await client.closeOrder({ transactionId: 'o-0' });
  const started = performance.now();
  const err = await rejection(client.closeOrder({ transactionId: 'o-1' }));
  assertTTPayError(err, 'timeout');
  assert.match(err.message, /rate limit/);
  assert.ok(performance.now() - started < 500, 'refused without waiting the 1 s the pacer asks for');
});

test('hooks see each attempt, response and retry, with the Authorization redacted', async (t) => {
  const mock = await mockFor(t);
  mock.injectFault({ mode: 'html-502', transactionId: 'order-1001' });
  const events = [];
  const hooks = {
    onRequest: (e) => events.push(['request', e]),
    onResponse: (e) => events.push(['response', e]),
    onRetry: (e) => events.push(['retry', e]),
  };
  const result = await clientFor(mock, { hooks }).closeOrder({ transactionId: 'order-1001' });
  assert.deepEqual(events.map(([k]) => k), ['request', 'response', 'retry', 'request', 'response']);
  const [req1, res1, retry, req2, res2] = events.map(([, e]) => e);
  assert.deepEqual(
    { ...req1, headers: undefined },
    { attempt: 1, method: 'POST', url: `${mock.url}/v1/transaction/close`, headers: undefined },
  );
  assert.equal(req1.headers.Authorization, 'TTPAY-AES-256-ECB [redacted]');
  assert.equal(req1.headers.app_id, DEMO_APP.appId);
  assert.equal(res1.status, 502);
  assert.equal(res1.errorKind, 'http');
  assert.equal(typeof res1.durationMs, 'number');
  assert.deepEqual(
    { attempt: retry.attempt, errorKind: retry.errorKind, status: retry.status },
    { attempt: 1, errorKind: 'http', status: 502 },
  );
  assert.ok(retry.delayMs >= 125 && retry.delayMs <= 250);
  assert.equal(req2.attempt, 2);
  assert.deepEqual(
    { status: res2.status, errorKind: res2.errorKind, requestId: res2.requestId, verified: res2.verified },
    { status: 200, errorKind: null, requestId: result.requestId, verified: true },
  );
});

test('a hook that throws does not break the call', async (t) => {
  const mock = await mockFor(t);
  const boom = () => {
    throw new Error('hook bug');
  };
  const client = clientFor(mock, { hooks: { onRequest: boom, onResponse: boom, onRetry: boom } });
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).code, 0);
});

test('hooks and the new options are validated like every other option', () => {
  const bad = [
    [{ hooks: { onRequest: 'x' } }, /^hooks\.onRequest: must be a function/],
    [{ hooks: { onReqest: () => {} } }, /^hooks\.onReqest: unknown option \(did you mean `onRequest`\?\)/],
    [{ hooks: 5 }, /^hooks: must be an object/],
    [{ maxRetries: -1 }, /^maxRetries: /],
    [{ maxRetries: 2.5 }, /^maxRetries: /],
    [{ deadlineMs: 0 }, /^deadlineMs: /],
    [{ rateLimitPerSecond: 0 }, /^rateLimitPerSecond: /],
    [{ rateLimitPerSecond: '5' }, /^rateLimitPerSecond: /],
    [{ verifyResponses: true }, /^verifyResponses: /],
    [{ maxResponseBytes: 0 }, /^maxResponseBytes: /],
  ];
  for (const [patch, re] of bad) {
    let err;
    try {
      new TTPayClient({ ...DEMO_APP, ...patch });
    } catch (e) {
      err = e;
    }
    assertTTPayError(err, 'invalid_argument');
    assert.match(err.message, re);
  }
});

// ---- A shared limiter (rateLimiter): the contract, with limiters written here ----

test('rateLimiter.take gets the appId, the rate, what the deadline leaves, and the signal', async (t) => {
  const { app, mock } = await appMock(t, 'shared-args-app');
  const seen = [];
  const rateLimiter = { take: (key, options) => (seen.push({ key, ...options }), 0) };
  const controller = new AbortController();
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 3, rateLimiter });
  await client.closeOrder({ transactionId: 'o-0' });
  await client.closeOrder({ transactionId: 'o-1' }, { deadlineMs: 5_000, signal: controller.signal });
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0], { key: app.appId, ratePerSecond: 3, maxWaitMs: Infinity, signal: undefined });
  assert.ok(seen[1].maxWaitMs > 4_900 && seen[1].maxWaitMs < 5_000, String(seen[1].maxWaitMs));
  assert.equal(seen[1].signal, controller.signal);
  assert.equal(mock.stats().apiRequests, 2);
});

test('the wait a shared limiter asks for is waited; false ends the call as a timeout, nothing sent', async (t) => {
  const { app, mock } = await appMock(t, 'shared-wait-app');
  let answer = 300;
  const rateLimiter = { take: async () => answer };
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, deadlineMs: 2_000 });
  const started = performance.now();
  assert.equal((await client.closeOrder({ transactionId: 'o-0' })).code, 0);
  assert.ok(performance.now() - started >= 290, 'waited for its slot');
  answer = false;
  const err = await rejection(client.closeOrder({ transactionId: 'o-1' }));
  assertTTPayError(err, 'timeout', { attempts: 0 });
  assert.match(err.message, /shared rate limit/);
  assert.equal(mock.stats().apiRequests, 1);
});

test('a shared limiter that throws, rejects, answers nonsense or is slow meets onRateLimiterError', async (t) => {
  const { app, mock } = await appMock(t, 'shared-failing-app', 20);
  const failing = {
    throws: { take: () => { throw new Error('store down'); } },
    rejects: { take: async () => { throw new Error('store down'); } },
    nonsense: { take: () => 'soon' },
    negative: { take: () => -5 },
    slow: { take: () => new Promise(() => {}) },
  };
  let n = 0;
  for (const [name, rateLimiter] of Object.entries(failing)) {
    for (const onRateLimiterError of ['local', 'send']) {
      const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, onRateLimiterError, rateLimiterTimeoutMs: 100 });
      assert.equal((await client.closeOrder({ transactionId: `o-${n++}` })).code, 0, `${name} ${onRateLimiterError}`);
    }
    const before = mock.stats().apiRequests;
    const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, onRateLimiterError: 'fail', rateLimiterTimeoutMs: 100 });
    const err = await rejection(client.closeOrder({ transactionId: 'o-19' }));
    assertTTPayError(err, 'network', { attempts: 0, retryable: true });
    assert.match(err.message, /^rateLimiter failed, so nothing was sent: /, name);
    if (name === 'slow') assert.match(err.message, /rateLimiterTimeoutMs \(100 ms\)/);
    assert.equal(mock.stats().apiRequests, before, `${name}: nothing sent`);
  }
});

test('rateLimiter options are checked like every other option', () => {
  const bad = [
    [{ rateLimiter: {} }, /^rateLimiter: must be an object with a take/],
    [{ rateLimiter: { take: 1 } }, /^rateLimiter: must be an object with a take/],
    [{ rateLimiter: { take() {} }, rateLimitPerSecond: null }, /^rateLimiter: needs a rate/],
    [{ onRateLimiterError: 'retry' }, /^onRateLimiterError: must be 'local', 'send' or 'fail'/],
    [{ rateLimiterTimeoutMs: -1 }, /^rateLimiterTimeoutMs: must be a positive/],
  ];
  for (const [patch, rule] of bad) {
    let err;
    try {
      new TTPayClient({ ...DEMO_APP, ...patch });
    } catch (e) {
      err = e;
    }
    assertTTPayError(err, 'invalid_argument');
    assert.match(err.message, rule);
  }
});
