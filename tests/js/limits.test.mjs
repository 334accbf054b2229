// The client-side rate limiter and the observability hooks, through the built package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TTPayClient } from 'ttpay-wasm';
import { startMockServer } from 'ttpay-wasm/mock';
import { DEMO_APP, assertTTPayError, clientFor, mockFor, rejection } from './helpers.mjs';
import { mostInWindow } from './fixtures/scale-out.mjs';

/** An app of its own, so the process-wide bucket of one test does not touch another's. */
async function appMock(t, appId, orders = 10) {
  const app = { appId, appSecret: 'limit-secret-0123456789abcdefghi', mchId: '7' };
  const list = Array.from({ length: orders }, (_, i) => ({ transactionId: `o-${i}`, state: 'NOTPAY' }));
  const mock = await startMockServer({ apps: [app], orders: list, lifetimeMs: 60_000 });
  t.after(() => mock.close());
  return { app, mock };
}

/** When each API request was sent, as the onRequest hook saw it (the grant, in this process). */
function sendTimes() {
  const times = [];
  return { times, hooks: { onRequest: () => times.push(performance.now()) } };
}


test('the limiter spaces the sends of one appId 210 ms apart, across clients: never six in a second', async (t) => {
  const { app, mock } = await appMock(t, 'limited-app', 12);
  const { times, hooks } = sendTimes();
  const a = new TTPayClient({ ...app, baseUrl: mock.url, hooks });
  const b = new TTPayClient({ ...app, baseUrl: mock.url, hooks });
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).closeOrder({ transactionId: `o-${i}` })));
  assert.ok(results.every((r) => r.code === 0));
  // The default rule: (1000 ms + a 50 ms margin) / 5. The hook runs a little after each grant.
  const shown = times.map(Math.round).join(' ');
  assert.equal(mostInWindow(times, 1000), 5, shown);
  const sorted = [...times].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i] - sorted[i - 1] >= 205, `spaced: ${shown}`);
  assert.equal(mock.orders().filter((o) => o.state === 'CLOSED').length, 12);
});

test('50 callers aborted by one signal leave no debt: the next call waits one interval at most, not for them', async (t) => {
  const { app, mock } = await appMock(t, 'abort-debt-app', 60);
  const client = new TTPayClient({ ...app, baseUrl: mock.url });
  await Promise.all(Array.from({ length: 5 }, (_, i) => client.closeOrder({ transactionId: `o-${i}` })));
  const controller = new AbortController();
  const queued = Array.from({ length: 50 }, (_, i) => client.closeOrder({ transactionId: `o-${5 + i}` }, { signal: controller.signal }));
  controller.abort();
  for (const p of queued) assertTTPayError(await rejection(p), 'aborted', { attempts: 0 });
  const started = performance.now();
  assert.equal((await client.closeOrder({ transactionId: 'o-59' })).code, 0);
  // At most one interval (210 ms) after the last send; the old pacer made it 10 s.
  assert.ok(performance.now() - started < 500, `waited ${Math.round(performance.now() - started)} ms`);
  assert.equal(mock.stats().apiRequests, 6);
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

test('rateLimiter.acquire gets the appId, the rule, the signal, this instance\'s asker id and the hold', async (t) => {
  const { app, mock } = await appMock(t, 'shared-args-app');
  const seen = [];
  const rateLimiter = { acquire: (key, options) => (seen.push({ key, ...options }), 0) };
  const controller = new AbortController();
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimitPerSecond: 3, rateLimitMarginMs: 50, rateLimiter });
  await client.closeOrder({ transactionId: 'o-0' });
  await client.closeOrder({ transactionId: 'o-1' }, { deadlineMs: 5_000, signal: controller.signal });
  assert.equal(seen.length, 2);
  const { asker } = seen[0];
  assert.match(asker, /^[0-9a-f]{16}$/);
  // The first send of this instance for the app opens a connection: it counts half an interval later.
  assert.deepEqual(seen[0], { key: app.appId, intervalMs: 350, signal: undefined, asker, holdMs: 175 });
  assert.equal(seen[1].signal, controller.signal);
  assert.equal(seen[1].holdMs, 0);
  // One id per wasm instance, whichever client asks: its callers of an app stand in one line.
  const other = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter });
  await other.closeOrder({ transactionId: 'o-2' });
  assert.equal(seen[2].asker, asker);
  assert.equal(mock.stats().apiRequests, 3);
});

test('a shared limiter answering a wait is asked again after it; a wait past the deadline ends the call', async (t) => {
  const { app, mock } = await appMock(t, 'shared-wait-app');
  const answers = [150, 0];
  let asked = 0;
  const rateLimiter = { acquire: async () => (asked++, answers.shift() ?? 0) };
  const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, deadlineMs: 2_000 });
  const started = performance.now();
  assert.equal((await client.closeOrder({ transactionId: 'o-0' })).code, 0);
  assert.ok(performance.now() - started >= 145, 'waited before asking again');
  assert.equal(asked, 2);
  const slow = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter: { acquire: async () => 200 }, deadlineMs: 100 });
  const err = await rejection(slow.closeOrder({ transactionId: 'o-1' }));
  assertTTPayError(err, 'timeout', { attempts: 0 });
  assert.match(err.message, /shared rate limit/);
  assert.equal(mock.stats().apiRequests, 1);
});

test('a shared limiter that throws, rejects, answers nonsense or is slow meets onRateLimiterError', async (t) => {
  const { app, mock } = await appMock(t, 'shared-failing-app', 40);
  const failing = {
    throws: { acquire: () => { throw new Error('store down'); } },
    rejects: { acquire: async () => { throw new Error('store down'); } },
    nonsense: { acquire: () => 'soon' },
    negative: { acquire: () => -5 },
    huge: { acquire: () => 1e308 },
    nan: { acquire: () => NaN },
    slow: { acquire: () => new Promise(() => {}) },
  };
  let n = 0;
  for (const [name, rateLimiter] of Object.entries(failing)) {
    for (const onRateLimiterError of ['local', 'send']) {
      const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, onRateLimiterError, rateLimiterTimeoutMs: 100, rateLimitPerSecond: 100 });
      assert.equal((await client.closeOrder({ transactionId: `o-${n++}` })).code, 0, `${name} ${onRateLimiterError}`);
    }
    const before = mock.stats().apiRequests;
    const client = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter, onRateLimiterError: 'fail', rateLimiterTimeoutMs: 100 });
    const err = await rejection(client.closeOrder({ transactionId: 'o-39' }));
    assertTTPayError(err, 'network', { attempts: 0, retryable: true });
    assert.match(err.message, /^rateLimiter failed, so nothing was sent: /, name);
    if (name === 'slow') assert.match(err.message, /rateLimiterTimeoutMs \(100 ms\)/);
    if (name === 'huge') assert.match(err.message, /longer than the rate's interval/);
    assert.equal(mock.stats().apiRequests, before, `${name}: nothing sent`);
  }
});

test('a poisoned answer moves nothing for other clients: one without a rateLimiter sends at once', async (t) => {
  const { app, mock } = await appMock(t, 'poisoned-app');
  const poisoned = new TTPayClient({ ...app, baseUrl: mock.url, rateLimiter: { acquire: () => 1e308 }, deadlineMs: 1_000 });
  assert.equal((await poisoned.closeOrder({ transactionId: 'o-0' })).code, 0, "'local': paced here instead");
  const plain = new TTPayClient({ ...app, baseUrl: mock.url });
  const started = performance.now();
  assert.equal((await plain.closeOrder({ transactionId: 'o-1' })).code, 0);
  assert.ok(performance.now() - started < 500, 'no wait inherited from the poisoned answer');
});

test('rateLimiter options are checked like every other option', () => {
  const bad = [
    [{ rateLimiter: {} }, /^rateLimiter: must be an object with an acquire/],
    [{ rateLimiter: { acquire: 1 } }, /^rateLimiter: must be an object with an acquire/],
    [{ rateLimiter: { take() {} } }, /^rateLimiter: has take\(\), the contract of ttpay-wasm 0.1/],
    [{ rateLimiter: { acquire() {} }, rateLimitPerSecond: null }, /^rateLimiter: needs a rate/],
    [{ rateLimitPerSecond: 5e-324 }, /^rateLimitPerSecond: must be a number from 0.1 to 1000/],
    [{ rateLimitPerSecond: 1e6 }, /^rateLimitPerSecond: must be a number from 0.1 to 1000/],
    [{ rateLimitMarginMs: -1 }, /^rateLimitMarginMs: must be a number of ms from 0 to 1000/],
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

// ---- The Redis adapter trusts nothing its store answers ----

test("the Redis adapter takes exactly the script's reply; nil, arrays, strings, negatives, past the window fail", async () => {
  const { redisRateLimiter } = await import('ttpay-wasm/redis');
  const options = { intervalMs: 210 };
  for (const reply of [0, 1, 210]) {
    assert.equal(await redisRateLimiter(async () => reply).acquire('app', options), reply);
  }
  for (const reply of [null, undefined, [], [[]], '0', '5', -5, 1.5, 211, 9223372036854775807, NaN, {}]) {
    await assert.rejects(redisRateLimiter(async () => reply).acquire('app', options), TypeError, JSON.stringify(reply));
  }
});

test('a Redis adapter answering nonsense never means "send now": 20 calls keep to the local rule', async (t) => {
  const { redisRateLimiter } = await import('ttpay-wasm/redis');
  const { app, mock } = await appMock(t, 'nonsense-redis-app', 20);
  const { times, hooks } = sendTimes();
  const client = new TTPayClient({ ...app, baseUrl: mock.url, hooks, rateLimiter: redisRateLimiter(async () => null) });
  await Promise.all(Array.from({ length: 20 }, (_, i) => client.closeOrder({ transactionId: `o-${i}` })));
  assert.ok(mostInWindow(times, 1000) <= 5, times.map(Math.round).join(' '));
});
